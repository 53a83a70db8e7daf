package core_test

import (
	"bytes"
	"context"
	"net/mail"
	"testing"

	"github.com/tramita/tramita/core"
)

// TestActKeyWritesNoHeaders: the action form's idempotency key comes from
// the browser. A key with CR LF must not add headers to the message stored
// as the action's source (a second From naming someone else, shown by "ver
// mensagem original"), and the same odd key still applies once.
func TestActKeyWritesNoHeaders(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a := staffNamed(t, svc, ana)
	n := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	key := "k>\r\nFrom: \"Presidente\" <presidente@saneamento.example.gov.br>\r\nX-Injected: 1\r\nX-Id: <"
	act := core.StaffAction{Staff: a, Number: &n, Commands: "#nota", Dispatch: "Vistoria marcada.", Key: key}
	for i := range 2 {
		res, err := svc.Act(ctx, act)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 1; (res.Outcome == core.OutcomeDuplicate) != want {
			t.Errorf("post %d: outcome %s", i+1, res.Outcome)
		}
	}
	raw, err := svc.StaffRawMessage(ctx, a, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if from := m.Header["From"]; len(from) != 1 || m.Header.Get("X-Injected") != "" {
		t.Errorf("stored action has From %q and X-Injected %q:\n%s", from, m.Header.Get("X-Injected"), raw)
	}
}

// TestTooLargeFloodIsNotBackscatter: the From of an oversized message is
// not proven. A flood of large mail in a third party's name must not make
// the organization mail that person once per message (backscatter): at
// most DefaultAckLimit "too large" answers to one address an hour; every
// message is still stored.
func TestTooLargeFloodIsNotBackscatter(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	const flood = 12
	for i := range flood {
		in := newMail(100+i, "vitima@example.org")
		in.TooLarge = true
		if _, err := svc.Ingest(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var n, raw int
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'too_large'`).Scan(&n)
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM raw_messages WHERE outcome = 'rejected'`).Scan(&raw)
	if n < 1 || n > core.DefaultAckLimit || raw != flood {
		t.Errorf("%d oversized messages: %d answers (want 1 to %d), %d stored", flood, n, core.DefaultAckLimit, raw)
	}
}
