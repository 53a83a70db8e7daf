package mailin_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// utf16le encodes s as UTF-16LE (ASCII and Latin-1 only), optionally with a BOM.
func utf16le(s string, bom bool) string {
	var b strings.Builder
	if bom {
		b.WriteString("\xff\xfe")
	}
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// TestPoisonTextNeverStopsIntake: text PostgreSQL refuses (NUL, invalid
// UTF-8, UTF-16 labelled as text) in any field of a message never fails its
// ingest: the protocol opens with the repaired text, every stored text field
// is valid UTF-8 without NUL, and the raw bytes are kept unchanged.
func TestPoisonTextNeverStopsIntake(t *testing.T) {
	t.Parallel()
	type poison struct {
		name    string
		raw     string
		subject string // the protocol's subject must contain it
		text    string // the opening step's text must contain it
	}
	msg := func(headers, body string) string {
		return "Message-ID: <poison-" + strings.NewReplacer(" ", "", ":", "").Replace(headers[:min(len(headers), 20)]) + "@evil.example>\r\n" +
			headers + "Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\n" + body
	}
	plain := "Content-Type: text/plain; charset=utf-8\r\n\r\nPedido de ligação.\r\n"
	cases := []poison{
		{"NUL in an encoded subject", msg("From: a@example.org\r\nTo: "+service+"\r\nSubject: =?utf-8?b?YQBi?=\r\n", plain), "ab", "Pedido"},
		{"raw NUL in the subject", msg("From: b@example.org\r\nTo: "+service+"\r\nSubject: Pe\x00dido\r\n", plain), "Pedido", "Pedido"},
		{"NUL in the display name", msg("From: =?utf-8?q?Jo=00=C3=A3o?= <c@example.org>\r\nTo: "+service+"\r\nSubject: Nome\r\n", plain), "Nome", "Pedido"},
		{"NUL in a Cc name and address", msg("From: d@example.org\r\nTo: "+service+"\r\nCc: =?utf-8?q?Ana=00?= <ana@example.org>, \"x\x00y\" <x\x00y@example.org>\r\nSubject: Cc\r\n", plain), "Cc", "Pedido"},
		{"raw NUL in the body", msg("From: e@example.org\r\nTo: "+service+"\r\nSubject: Corpo\r\n",
			"Content-Type: text/plain; charset=utf-8\r\n\r\nFalta\x00 de \x00água.\r\n"), "Corpo", "Falta de água"},
		{"quoted-printable NUL in the body", msg("From: f@example.org\r\nTo: "+service+"\r\nSubject: QP\r\n",
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nFalta=00 de =C3=A1gua.\r\n"), "QP", "Falta de água"},
		{"invalid UTF-8 in a header declared UTF-8", msg("From: g@example.org\r\nTo: "+service+"\r\nSubject: =?utf-8?b?"+"w6E/w6h="+"?= \xc3\x28 bad\r\n", plain), "bad", "Pedido"},
		{"UTF-16LE body with BOM labelled text/plain utf-8", msg("From: h@example.org\r\nTo: "+service+"\r\nSubject: UTF16\r\n",
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+utf16le("Falta de água no bairro — cobrança de € 50.\r\n", true)), "UTF16", "Falta de água no bairro — cobrança de € 50."},
		{"UTF-16LE body without BOM and without charset", msg("From: i@example.org\r\nTo: "+service+"\r\nSubject: UTF16b\r\n",
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+utf16le("Conta de água errada — “R$ 40”.\r\n", false)), "UTF16b", "Conta de água errada — “R$ 40”."},
		{"UTF-16LE base64 body labelled iso-8859-1", msg("From: j@example.org\r\nTo: "+service+"\r\nSubject: UTF16c\r\n",
			"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n//5WAGEAegBhAG0AZQBuAHQAbwAgAG4AYQAgAHIAdQBhAC4A\r\n"), "UTF16c", "Vazamento na rua"},
		{"NUL in an attachment filename and type", msg("From: k@example.org\r\nTo: "+service+"\r\nSubject: Anexo\r\n",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue.\r\n--b\r\n"+
				"Content-Type: application/pdf; name=\"a\x00b.pdf\"\r\nContent-Disposition: attachment; filename*=utf-8''c%00d.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"), "Anexo", "Segue"},
		{"NUL in the Message-ID and References", "Message-ID: <nul\x00id@evil.example>\r\nIn-Reply-To: <x\x00y@evil.example>\r\nReferences: <x\x00y@evil.example>\r\n" +
			"From: l@example.org\r\nTo: " + service + "\r\nSubject: MID\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\n" + plain, "MID", "Pedido"},
		{"NUL in a Reply-To", msg("From: m@example.org\r\nReply-To: =?utf-8?q?R=00?= <m\x00r@example.org>\r\nTo: "+service+"\r\nSubject: ReplyTo\r\n", plain), "ReplyTo", "Pedido"},
		{"C0 controls and lone surrogate escapes in HTML", msg("From: n@example.org\r\nTo: "+service+"\r\nSubject: HTML\r\n",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Falta&#0; de&#xD800; \x00água</p>\r\n"), "HTML", "Falta"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res, err := h.ing.Ingest(context.Background(), []byte(c.raw), core.Source{Kind: "pipe"})
			if err != nil {
				t.Fatalf("ingest returned an error (EX_TEMPFAIL, the MTA retries forever): %v", err)
			}
			if res.Outcome != core.OutcomeCreated {
				t.Fatalf("want the protocol opened with the repaired text, got %+v", res)
			}
			v := h.show(res.Protocol)
			if !strings.Contains(v.Subject, c.subject) {
				t.Errorf("subject %q, want it to contain %q", v.Subject, c.subject)
			}
			if !strings.Contains(v.Steps[0].Text, c.text) {
				t.Errorf("opening text %q, want it to contain %q", v.Steps[0].Text, c.text)
			}
			var raw []byte
			if err := h.pool.QueryRow(context.Background(), `SELECT content FROM raw_messages WHERE id = $1`, res.RawMessageID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if string(raw) != c.raw {
				t.Errorf("the raw bytes were not kept unchanged")
			}
			// Every text column written: valid UTF-8, no NUL.
			rows, err := h.pool.Query(context.Background(), `
				SELECT subject || sender FROM raw_messages
				UNION ALL SELECT subject FROM protocols
				UNION ALL SELECT coalesce(email, '') || coalesce(name, '') || coalesce(reply_to, '') FROM participants
				UNION ALL SELECT author_email || coalesce(author_name, '') || text || full_text || html FROM steps
				UNION ALL SELECT filename || content_type FROM attachments
				UNION ALL SELECT message_id FROM message_index
				UNION ALL SELECT data::text FROM notifications`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.Contains(s, `\u0000`) {
					t.Errorf("stored text %q is not clean", s)
				}
			}
		})
	}
}

// stuckCore fails every ingest of a message whose subject holds "stuck"
// with an error that is temporary but the database's answer (a deadlock),
// as a message that always times out or deadlocks would.
type stuckCore struct {
	*core.Service
	calls atomic.Int32
}

func (s *stuckCore) Ingest(ctx context.Context, in core.Inbound) (core.IngestResult, error) {
	if strings.Contains(in.Subject, "stuck") {
		s.calls.Add(1)
		return core.IngestResult{}, fmt.Errorf("adding step: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
	}
	return s.Service.Ingest(ctx, in)
}

// TestPollerNeverHeldByOneMessage: a message the database refuses, or one
// that fails every time, never stops the messages after it: the first is
// quarantined at once (its text repaired), the second after MaxAttempts
// failures in a row, and both go to the failed folder or are processed.
func TestPollerNeverHeldByOneMessage(t *testing.T) {
	t.Parallel()
	t.Run("text the database refuses", func(t *testing.T) {
		t.Parallel()
		srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
		h := newHarness(t)
		tag := imapTag()
		noFrom := "To: " + service + "\r\nSubject: =?utf-8?b?YQBi?= \x00\r\nMessage-ID: <" + tag + ".nul@example.org>\r\n\r\nSem From.\r\n"
		nulBody := strings.Replace(string(imapMail(tag, 7)), "Solicito", "Soli\x00cito", 1)
		imapAppend(t, srv, []byte(noFrom), []byte(nulBody), imapMail(tag, 1))
		startIMAPPoller(t, h, imapPollerConfig(t, srv))
		imapEventually(t, 10*time.Second, "the messages after the poison are read", func() bool {
			return len(imapFolder(t, srv, processed)) == 2 && len(imapFolder(t, srv, failed)) == 1
		})
		if n := h.count(`SELECT count(*) FROM protocols`); n != 2 {
			t.Errorf("%d protocols, want 2 (the NUL body opens one with the repaired text)", n)
		}
	})
	t.Run("a message that fails every time", func(t *testing.T) {
		t.Parallel()
		srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
		h := newHarness(t)
		tag := imapTag()
		stuck := strings.Replace(string(imapMail(tag, 1)), "Subject: Pedido", "Subject: stuck Pedido", 1)
		imapAppend(t, srv, []byte(stuck), imapMail(tag, 2))
		sc := &stuckCore{Service: h.svc}
		cfg := imapPollerConfig(t, srv)
		cfg.MaxAttempts = 3
		startIMAPPollerWith(t, &mailin.Ingester{Core: sc, Log: cfg.Logger}, h.svc, cfg)
		imapEventually(t, 15*time.Second, "the message after the stuck one is read", func() bool {
			return len(imapFolder(t, srv, processed)) == 1 && len(imapFolder(t, srv, failed)) == 1
		})
		if n := sc.calls.Load(); n != 3 {
			t.Errorf("the stuck message was tried %d times, want MaxAttempts = 3", n)
		}
		list, err := h.svc.FailedMessages(context.Background())
		if err != nil || len(list) != 1 || !strings.Contains(list[0].Error, "3 times") {
			t.Errorf("the stuck message is not quarantined with its raw bytes: %+v %v", list, err)
		}
	})
}
