package core_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
	"go.yaml.in/yaml/v3"
)

// newService returns a Service on a fresh schema with the sample
// organization applied and a clock fixed at now.
func newService(t *testing.T, now time.Time) *core.Service {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:test-secret-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyOrg(context.Background(), sampleOrg(t)); err != nil {
		t.Fatal(err)
	}
	return svc
}

func sampleOrg(t testing.TB) *core.OrgSpec {
	t.Helper()
	var spec core.OrgSpec
	dec := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	return &spec
}

// newMail builds a minimal Inbound that opens a protocol.
func newMail(i int, from string) core.Inbound {
	raw := fmt.Sprintf("From: %s\r\nTo: protocolo@saneamento.example.gov.br\r\nSubject: Pedido %d\r\nMessage-ID: <m%d@example.org>\r\n\r\nTexto %d\r\n", from, i, i, i)
	return core.Inbound{
		Raw: []byte(raw), MessageID: fmt.Sprintf("m%d@example.org", i), Subject: fmt.Sprintf("Pedido %d", i),
		From: core.Address{Email: from}, Recipients: []string{"protocolo@saneamento.example.gov.br"},
		Text: fmt.Sprintf("Texto %d", i), FullText: fmt.Sprintf("Texto %d", i), Class: core.ClassNormal,
	}
}
