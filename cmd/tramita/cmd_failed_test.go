package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
)

// TestFailedRetryRefusesHeaderOnly: a message far over the size limit is
// quarantined with its header only (IMAP intake does not fetch it);
// `failed retry` refuses it with a clear message, in pt-BR and English,
// instead of opening a protocol from the header.
func TestFailedRetryRefusesHeaderOnly(t *testing.T) {
	setupCLI(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	keys, _ := core.ParseKeyring(os.Getenv("TRAMITA_SECRET"))
	svc, err := core.NewService(pool, core.Config{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	header := []byte("From: Joana <joana.cidada@example.org>\r\nTo: protocolo@saneamento.example.gov.br\r\n" +
		"Subject: Fotos do vazamento\r\nMessage-ID: <huge@example.org>\r\n\r\n")
	res, err := svc.Quarantine(ctx, core.Inbound{Raw: header, MessageID: "huge@example.org", Subject: "Fotos do vazamento",
		From: core.Address{Email: "joana.cidada@example.org"}, TooLarge: true, HeaderOnly: true, Size: 130 << 20,
		Source: core.Source{Kind: "imap"}}, errors.New("message far over the size limit: not fetched"))
	if err != nil || res.Outcome != core.OutcomeFailed {
		t.Fatalf("quarantine: %+v %v", res, err)
	}

	code, out, _ := cli(t, nil, "failed", "list", "--json")
	var list []core.FailedMessage
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 ||
		!list[0].HeaderOnly || list[0].Size != 130<<20 {
		t.Fatalf("failed list: exit %d %s", code, out)
	}
	code, out, stderr := cli(t, nil, "failed", "retry", strconv.FormatInt(res.RawMessageID, 10))
	if code != exitFailure {
		t.Errorf("retry of a header-only message: exit %d, want %d (%s %s)", code, exitFailure, out, stderr)
	}
	for _, want := range []string{"só o cabeçalho", "only its header", "TRAMITA_MAX_MESSAGE_BYTES"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("retry message lacks %q: %s", want, stderr)
		}
	}
	var protocols int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&protocols); err != nil || protocols != 0 {
		t.Errorf("%d protocols opened from a header (%v)", protocols, err)
	}
	// The administrators' notice does not offer the retry.
	var offers bool
	if err := pool.QueryRow(ctx, `SELECT bool_or(data ? 'raw_message_id') FROM notifications WHERE kind = 'intake_failed'`).
		Scan(&offers); err != nil || offers {
		t.Errorf("intake_failed notice offers a retry of a header-only message (%v)", err)
	}
}
