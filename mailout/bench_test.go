package mailout_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
	gomail "github.com/wneessen/go-mail"
)

// The three benchmarks below send to the same in-process go-smtp sink that
// discards what it gets, one connection each, and report mails/s:
//
//	BenchmarkBareGoSMTP      go-smtp's client sending pre-rendered bytes: the floor
//	BenchmarkRenderGoMail    render a notification (templates + goldmark), build the
//	                         message and send it with go-mail: mailout without the database
//	BenchmarkWorker          the whole mailer: claim from PostgreSQL, render, send,
//	                         record (RunOnce on queued acks and unit notices)
//
// BenchmarkRender and BenchmarkMessage time the two CPU steps alone.
//
// Run: go test ./mailout -run XXX -bench . -benchtime 2000x (see BENCHMARKS.md).

func discardSink(b *testing.B) *sink {
	b.Helper()
	s := newSink(b)
	s.Discard = true
	return s
}

// preRendered is one ack as the worker would send it, in bytes.
func preRendered(b *testing.B) []byte {
	b.Helper()
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		b.Fatal(err)
	}
	d := goldenDelivery(b, core.NotifyAck)
	out, err := r.Render(d.Kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example"))
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:bench-secret-long-enough")
	m, err := mailout.Message(d, out, mailout.Envelope{Org: goldenOrg, Recipient: d.To[0], Keys: keys, Date: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkBareGoSMTP(b *testing.B) {
	srv := discardSink(b)
	raw := preRendered(b)
	c, err := smtp.Dial(srv.Addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("tramita.test"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for range b.N {
		if err := c.SendMail("protocolo@saneamento.example.gov.br", []string{"joana.cidada@example.org"}, bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

func BenchmarkRenderGoMail(b *testing.B) {
	srv := discardSink(b)
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:bench-secret-long-enough")
	d := goldenDelivery(b, core.NotifyAck)
	mc, err := gomail.NewClient("127.0.0.1", gomail.WithPort(srv.Port), gomail.WithTLSPolicy(gomail.NoTLS), gomail.WithHELO("tramita.test"),
		gomail.WithoutNoop(), gomail.WithoutRset()) // as the worker's client
	if err != nil {
		b.Fatal(err)
	}
	if err := mc.DialWithContext(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer mc.Close()
	b.ResetTimer()
	for range b.N {
		out, err := r.Render(d.Kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example"))
		if err != nil {
			b.Fatal(err)
		}
		m, err := mailout.Message(d, out, mailout.Envelope{Org: goldenOrg, Recipient: d.To[0], Keys: keys, Date: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if err := mc.Send(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

func BenchmarkWorker(b *testing.B) {
	svc, srv := newService(b), discardSink(b)
	clk := newClock()
	w := newWorker(b, svc, srv.Port, clk, func(c *mailout.Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		c.BatchSize = 50
	})
	// Each protocol queues an ack and a unit notice: b.N/2 protocols.
	b.StopTimer()
	for i := range (b.N + 1) / 2 {
		open(b, svc, i, fmt.Sprintf("cidadao%d@example.org", i), "Pedido de ligação de água")
	}
	clk.Advance(time.Hour)
	b.StartTimer()
	sent := 0
	for sent < b.N {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatalf("sent %d of %d", sent, b.N)
		}
		sent += n
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkRender is the rendering alone: View, three template runs, goldmark.
func BenchmarkRender(b *testing.B) {
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		b.Fatal(err)
	}
	d := goldenDelivery(b, core.NotifyAck)
	b.ReportAllocs()
	for range b.N {
		if _, err := r.Render(d.Kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessage is building the go-mail message (headers, token,
// quoted-printable parts) and writing it out.
func BenchmarkMessage(b *testing.B) {
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		b.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:bench-secret-long-enough")
	d := goldenDelivery(b, core.NotifyAck)
	out, err := r.Render(d.Kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		m, err := mailout.Message(d, out, mailout.Envelope{Org: goldenOrg, Recipient: d.To[0], Keys: keys, Date: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
