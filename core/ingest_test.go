package core_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

var fixedNow = time.Date(2026, 11, 29, 13, 0, 0, 0, time.UTC)

func TestNumberingIsGaplessUnderConcurrency(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	const n = 50
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := svc.Ingest(ctx, newMail(i, "cidadao@example.org"))
			numbers[i], errs[i] = res.Protocol, err
		}()
	}
	wg.Wait()
	seqs := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("ingest %d: %v", i, errs[i])
		}
		num, err := core.ParseNumber(numbers[i])
		if err != nil {
			t.Fatalf("number %q does not validate: %v", numbers[i], err)
		}
		if num.Year != 2026 || num.Unit != "23037" {
			t.Errorf("number %s: want unit 23037, year 2026", num)
		}
		if seqs[num.Seq] {
			t.Errorf("sequence %d repeated", num.Seq)
		}
		seqs[num.Seq] = true
	}
	var got []int
	for s := range seqs {
		got = append(got, s)
	}
	sort.Ints(got)
	for i, s := range got {
		if s != i+1 {
			t.Fatalf("sequences are not 1..%d without gaps: %v", n, got)
		}
	}
}

func TestRolledBackOpeningReturnsItsNumber(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	if _, err := svc.Ingest(ctx, newMail(1, "a@example.org")); err != nil {
		t.Fatal(err)
	}
	// A failure after the number was taken: the opening step cannot be
	// written (a trigger in this test's schema refuses it).
	if _, err := svc.Pool().Exec(ctx, `
		CREATE FUNCTION refuse_step() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.text LIKE '%recusar este passo%' THEN RAISE EXCEPTION 'step refused by the test'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_step BEFORE INSERT ON steps FOR EACH ROW EXECUTE FUNCTION refuse_step();`); err != nil {
		t.Fatal(err)
	}
	bad := newMail(2, "b@example.org")
	bad.Text, bad.FullText = "recusar este passo", "recusar este passo"
	if _, err := svc.Ingest(ctx, bad); err == nil || !strings.Contains(err.Error(), "step refused by the test") {
		t.Fatalf("opening whose step fails: got %v, want the trigger's error", err)
	}
	var taken int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&taken); err != nil || taken != 1 {
		t.Fatalf("%d protocols after the failed opening (%v), want 1", taken, err)
	}
	res, err := svc.Ingest(ctx, newMail(3, "c@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	if n.Seq != 2 {
		t.Fatalf("after a failed opening the next number is %s, want sequence 2", res.Protocol)
	}
}

func TestIngestOpensProtocolWithAckAndUnitNotice(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	in := newMail(1, "maria@example.org")
	in.Cc = []core.Address{{Email: "carlos@example.org"}, {Email: "protocolo@saneamento.example.gov.br"}, {Email: "maria@example.org"}}
	in.Attachments = []core.InboundAttachment{{Filename: "foto.png", ContentType: "image/png", Data: []byte("png")},
		{Filename: "copia.png", ContentType: "image/png", Data: []byte("png")}}
	res, err := svc.Ingest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != core.OutcomeCreated || res.Step != 1 {
		t.Fatalf("outcome %s step %d, want created step 1", res.Outcome, res.Step)
	}
	kinds := map[core.NotificationKind][]string{}
	for _, n := range res.Notifications {
		kinds[n.Kind] = append(kinds[n.Kind], n.To...)
	}
	if got := kinds[core.NotifyAck]; len(got) != 1 || got[0] != "maria@example.org" {
		t.Errorf("ack to %v, want only the requester", got)
	}
	// OUTROS goes to PROT, whose only member is carla.admin (no shared mailbox).
	if got := kinds[core.NotifyUnitNotice]; len(got) != 1 || got[0] != "carla.admin@saneamento.example.gov.br" {
		t.Errorf("unit notice to %v, want the PROT staff", got)
	}
	num, _ := core.ParseNumber(res.Protocol)
	v, err := svc.Show(ctx, num)
	if err != nil {
		t.Fatal(err)
	}
	if v.Type != "OUTROS" || v.Unit != "PROT" || v.Status != core.StatusOpen || v.Subject != "Pedido 1" {
		t.Errorf("protocol %+v: want OUTROS at PROT, open, subject kept", v)
	}
	if v.Deadline == nil {
		t.Error("OUTROS has a 5du default deadline; none set")
	}
	var ccs []string
	for _, p := range v.Participants {
		if p.Role == "cc" {
			ccs = append(ccs, p.Email)
		}
	}
	if len(ccs) != 1 || ccs[0] != "carlos@example.org" {
		t.Errorf("cc participants %v, want only carlos (service address and sender excluded)", ccs)
	}
	if len(v.Steps) != 1 || len(v.Steps[0].Attachments) != 2 || v.Steps[0].Attachments[0].SHA256 != v.Steps[0].Attachments[1].SHA256 {
		t.Errorf("steps %+v: want one step with two attachments sharing one blob", v.Steps)
	}
	var blobs int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || blobs != 1 {
		t.Errorf("blobs = %d (%v), want 1 (deduplicated by SHA-256)", blobs, err)
	}
	if len(v.Notifications) != 2 || v.Notifications[0].MessageID == "" {
		t.Errorf("notifications %+v: want 2 with Message-IDs assigned at queue time", v.Notifications)
	}
	// The ack's Message-ID threads replies back to the protocol.
	ref, err := svc.ProtocolByMessageIDs(ctx, []string{v.Notifications[0].MessageID}, true)
	if err != nil || ref.Number != res.Protocol {
		t.Errorf("ack Message-ID lookup = %v, %v; want %s", ref, err, res.Protocol)
	}
}

func TestIngestDuplicateChangesNothing(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	first, err := svc.Ingest(ctx, newMail(1, "a@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	again := newMail(1, "a@example.org")
	again.Raw = append([]byte("Received: from relay2\r\n"), again.Raw...) // relayed twice
	res, err := svc.Ingest(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != core.OutcomeDuplicate || res.Protocol != first.Protocol || len(res.Notifications) != 0 {
		t.Fatalf("second copy: %+v, want duplicate of %s with no notification", res, first.Protocol)
	}
	var protocols int
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&protocols)
	if protocols != 1 {
		t.Fatalf("%d protocols, want 1", protocols)
	}
}

func TestTooLargeIsStoredAndAnsweredOnce(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	in := newMail(1, "a@example.org")
	in.TooLarge = true
	for range 2 {
		if _, err := svc.Ingest(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	var n, raw int
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'too_large'`).Scan(&n)
	_ = svc.Pool().QueryRow(ctx, `SELECT count(*) FROM raw_messages WHERE outcome = 'rejected'`).Scan(&raw)
	if n != 1 || raw != 1 {
		t.Fatalf("too_large notifications %d, stored %d; want 1 and 1", n, raw)
	}
}

func TestQuarantineAndRetry(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	in := newMail(1, "a@example.org")
	res, err := svc.Quarantine(ctx, in, errors.New("boom"))
	if err != nil || res.Outcome != core.OutcomeFailed {
		t.Fatalf("quarantine: %+v %v", res, err)
	}
	list, err := svc.FailedMessages(ctx)
	if err != nil || len(list) != 1 || list[0].Error != "boom" {
		t.Fatalf("failed list: %+v %v", list, err)
	}
	// Staff are told once: the administrators get an intake_failed notice.
	if _, err := svc.Quarantine(ctx, in, errors.New("boom again")); err != nil {
		t.Fatal(err)
	}
	var told []string
	if err := svc.Pool().QueryRow(ctx, `SELECT ARRAY(SELECT to_addrs[1] FROM notifications WHERE kind = 'intake_failed')`).Scan(&told); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0] != "carla.admin@saneamento.example.gov.br" {
		t.Fatalf("intake_failed notices to %v, want one to the administrator", told)
	}
	raw, err := svc.FailedRaw(ctx, list[0].ID)
	if err != nil || string(raw) != string(in.Raw) {
		t.Fatalf("failed raw differs: %v", err)
	}
	res, err = svc.Ingest(ctx, in)
	if err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("retry: %+v %v; want created", res, err)
	}
	if list, _ := svc.FailedMessages(ctx); len(list) != 0 {
		t.Fatalf("still quarantined after a successful retry: %+v", list)
	}
}

func TestAckLimitPerSender(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	acks := 0
	var last string
	for i := range 7 {
		res, err := svc.Ingest(ctx, newMail(i, "flood@example.org"))
		if err != nil || res.Outcome != core.OutcomeCreated {
			t.Fatalf("ingest %d: %+v %v", i, res, err)
		}
		for _, n := range res.Notifications {
			if n.Kind == core.NotifyAck {
				acks++
			}
		}
		last = res.Protocol
	}
	if acks != core.DefaultAckLimit {
		t.Fatalf("%d acknowledgements to one sender in an hour, want %d", acks, core.DefaultAckLimit)
	}
	// The acknowledgement held back is on the record, held, with its
	// reason: show (and the staff site) tell the truth.
	n, _ := core.ParseNumber(last)
	v, err := svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, nv := range v.Notifications {
		if nv.Kind == core.NotifyAck {
			held++
			if nv.Status != core.DeliveryHeld || !strings.Contains(nv.Reason, "limite de confirmações") {
				t.Errorf("the ack past the limit: %+v, want held with the limit as its reason", nv)
			}
		}
	}
	if held != 1 {
		t.Errorf("%d acknowledgements on the record of the last protocol, want the held one", held)
	}
	var sendable int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'ack' AND status <> 'held'`).Scan(&sendable); err != nil || sendable != core.DefaultAckLimit {
		t.Errorf("%d acknowledgements to be sent (%v), want %d", sendable, err, core.DefaultAckLimit)
	}
}
