package mailout_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
	"github.com/tramita/tramita/mailout"
)

const (
	joana = "joana.cidada@example.org"
	carla = "carla.admin@saneamento.example.gov.br" // the one staff member of PROT, where OUTROS goes
)

func TestReplyMarkerMatchesMailin(t *testing.T) {
	if mailout.ReplyMarker != mailin.ReplyMarker {
		t.Fatalf("mailout.ReplyMarker %q differs from mailin.ReplyMarker %q", mailout.ReplyMarker, mailin.ReplyMarker)
	}
}

func TestAckAndUnitNoticeOnTheWire(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	number := open(t, svc, 1, "Joana Cidadã <"+joana+">", "Solicitação de férias")
	w := newWorker(t, svc, srv.Port, clk)
	if n := runOnce(t, w); n != 2 {
		t.Fatalf("sent %d, want ack + unit notice", n)
	}
	v := show(t, svc, number)
	ids := map[core.NotificationKind]string{}
	for _, n := range v.Notifications {
		if n.Status != "sent" {
			t.Errorf("%s: status %s, want sent", n.Kind, n.Status)
		}
		ids[n.Kind] = n.MessageID
	}

	acks := srv.to(t, joana)
	if len(acks) != 1 {
		t.Fatalf("%d messages to the requester, want the ack", len(acks))
	}
	ack := acks[0]
	if got, want := ack.subject(t), "[Protocolo "+number+"] Solicitação de férias"; got != want {
		t.Errorf("Subject %q, want %q", got, want)
	}
	if !regexp.MustCompile(`(?m)^Subject: \[Protocolo [0-9./-]+\] =\?UTF-8\?[qQbB]\?`).MatchString(ack.Raw) {
		t.Errorf("Subject is not RFC 2047-encoded:\n%s", headerBlock(ack.Raw))
	}
	from, err := ack.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != orgName || from[0].Address != "protocolo@saneamento.example.gov.br" {
		t.Errorf("From %q: %v %v", ack.get("From"), from, err)
	}
	if to := ack.get("To"); !strings.Contains(to, joana) || ack.get("Cc") != "" {
		t.Errorf("To %q Cc %q", to, ack.get("Cc"))
	}
	if got := ack.ids(t, "Message-Id"); len(got) != 1 || got[0] != ids[core.NotifyAck] {
		t.Errorf("Message-ID %v, want %s", got, ids[core.NotifyAck])
	}
	if got := ack.ids(t, "In-Reply-To"); !slices.Equal(got, []string{"open1@example.org"}) {
		t.Errorf("In-Reply-To %v, want the opening message", got)
	}
	if got := ack.ids(t, "References"); !slices.Equal(got, []string{"open1@example.org"}) {
		t.Errorf("References %v", got)
	}
	if ack.get("Auto-Submitted") != "auto-replied" || ack.get("X-Auto-Response-Suppress") != "All" {
		t.Errorf("Auto-Submitted %q, X-Auto-Response-Suppress %q", ack.get("Auto-Submitted"), ack.get("X-Auto-Response-Suppress"))
	}
	claims, err := svc.Keys().Verify(ack.token(t), joana)
	if err != nil || claims.StaffID != 0 {
		t.Errorf("Reply-To token for the requester: %+v %v", claims, err)
	}
	if ref, err := svc.ProtocolByNumber(context.Background(), mustNumber(t, number)); err != nil || claims.ProtocolID != ref.ID {
		t.Errorf("token names protocol %d, want %d (%v)", claims.ProtocolID, ref.ID, err)
	}
	if _, err := svc.Keys().Verify(ack.token(t), "outra@example.org"); err == nil {
		t.Error("the requester's token verifies for another address")
	}
	if ct := ack.get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") || !slices.Equal(ack.Types, []string{"text/plain", "text/html"}) {
		t.Errorf("Content-Type %q, parts %v", ct, ack.Types)
	}
	if first, _, _ := strings.Cut(ack.Text, "\n"); strings.TrimSpace(first) != mailout.ReplyMarker {
		t.Errorf("text part starts with %q, want the reply marker", first)
	}
	link := "https://protocolo.example.gov.br/p/" + strings.ReplaceAll(number, "/", "%2F") + "?k=" + v.AccessKey
	for _, want := range []string{number, v.AccessKey, "Outros", "Solicitações que não se enquadram", "Protocolo Geral", link} {
		if !strings.Contains(ack.Text, want) || !strings.Contains(ack.HTML, want) {
			t.Errorf("ack text or HTML lacks %q", want)
		}
	}
	if !strings.Contains(ack.HTML, mailout.ReplyMarker) || !strings.Contains(ack.HTML, `<html lang="pt-BR">`) {
		t.Error("HTML part lacks the reply marker or its language")
	}

	notices := srv.to(t, carla)
	if len(notices) != 1 {
		t.Fatalf("%d messages to the unit's staff", len(notices))
	}
	notice := notices[0]
	if notice.get("Auto-Submitted") != "auto-generated" || strings.Contains(notice.Raw, v.AccessKey) {
		t.Errorf("unit notice: Auto-Submitted %q, carries the access key: %v", notice.get("Auto-Submitted"), strings.Contains(notice.Raw, v.AccessKey))
	}
	staffClaims, err := svc.Keys().Verify(notice.token(t), carla)
	if err != nil || staffClaims.StaffID == 0 || staffClaims.ProtocolID != claims.ProtocolID {
		t.Errorf("staff token: %+v %v", staffClaims, err)
	}
	if !strings.Contains(notice.Text, "Texto do pedido 1") || !strings.Contains(notice.Text, joana) {
		t.Errorf("unit notice lacks the request or the requester:\n%s", notice.Text)
	}
}

func TestFromOverride(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	open(t, svc, 9, joana, "Pedido")
	w := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.From = "Protocolo Digital <nao-responda@saneamento.example.gov.br>" })
	runOnce(t, w)
	msgs := srv.to(t, joana)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	from, err := msgs[0].Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Protocolo Digital" || from[0].Address != "nao-responda@saneamento.example.gov.br" {
		t.Errorf("From %q: %v", msgs[0].get("From"), err)
	}
	if env := srv.messages()[0].From; env != "nao-responda@saneamento.example.gov.br" {
		t.Errorf("envelope sender %q", env)
	}
	msgs[0].token(t) // replies still go to the service address, with a token

	// A display name with quotes and accents is quoted and encoded, not
	// taken for the recipient's fault.
	open(t, svc, 10, "Bia <bia@example.org>", "Pedido")
	w = newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) {
		c.From = `"Prefeitura \"Central\" de Água" <nao-responda@saneamento.example.gov.br>`
	})
	runOnce(t, w)
	bia := srv.to(t, "bia@example.org")
	if len(bia) != 1 {
		t.Fatalf("%d messages to the second requester", len(bia))
	}
	if from, err := bia[0].Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != `Prefeitura "Central" de Água` {
		t.Errorf("From %q: %v", bia[0].get("From"), err)
	}
}

func TestTooLargeAnswerHasNoToken(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	raw := []byte("From: joana.cidada@example.org\r\nSubject: Fotos\r\n\r\n" + strings.Repeat("x", int(svc.MaxMessageBytes())))
	res, err := svc.Ingest(context.Background(), core.Inbound{Raw: raw, Subject: "Fotos do vazamento", TooLarge: true, MessageID: "big1@example.org",
		From: core.Address{Email: joana}, Class: core.ClassNormal})
	if err != nil || res.Outcome != core.OutcomeRejected {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	runOnce(t, newWorker(t, svc, srv.Port, clk))
	msgs := srv.to(t, joana)
	if len(msgs) != 1 {
		t.Fatalf("%d answers", len(msgs))
	}
	m := msgs[0]
	rt, err := m.Header.AddressList("Reply-To")
	if err != nil || len(rt) != 1 || rt[0].Address != "protocolo@saneamento.example.gov.br" {
		t.Errorf("Reply-To %q, want the plain service address", m.get("Reply-To"))
	}
	if s := m.subject(t); s != "Mensagem não processada: Fotos do vazamento" || m.get("Auto-Submitted") != "auto-replied" {
		t.Errorf("Subject %q, Auto-Submitted %q", s, m.get("Auto-Submitted"))
	}
	if !strings.Contains(m.Text, "25 MB") || m.get("In-Reply-To") != "<big1@example.org>" || m.get("References") != "<big1@example.org>" {
		t.Errorf("In-Reply-To %q, References %q (want the oversized message); text:\n%s", m.get("In-Reply-To"), m.get("References"), m.Text)
	}
}

func TestThreadAcrossThreeNotifications(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	ctx := context.Background()
	number := open(t, svc, 2, joana, "Conta com valor errado [Protocolo 99999.999999/2026-99]")
	w := newWorker(t, svc, srv.Port, clk)
	runOnce(t, w)
	ref, err := svc.ProtocolByNumber(ctx, mustNumber(t, number))
	if err != nil {
		t.Fatal(err)
	}
	queue := func(n core.Notification) {
		t.Helper()
		n.ProtocolID = ref.ID
		if q, err := svc.QueueNotification(ctx, n); err != nil || len(q) != 1 {
			t.Fatalf("queue %s: %v %v", n.Kind, q, err)
		}
	}
	queue(core.Notification{Kind: core.NotifyStatusUpdate, To: []string{joana},
		Data: map[string]any{"events": []string{"forwarded"}, "unit_name": "Gerência Comercial", "dispatch": "Enviado à área comercial."}})
	runOnce(t, w)
	queue(core.Notification{Kind: core.NotifyReply, To: []string{joana}, Cc: []string{"vizinho@example.org"},
		Data: map[string]any{"dispatch": "A conta foi refeita.\nO novo boleto segue por correio."}})
	runOnce(t, w)

	msgs := srv.to(t, joana)
	if len(msgs) != 3 {
		t.Fatalf("%d messages to the requester, want ack, status update, reply", len(msgs))
	}
	key := show(t, svc, number).AccessKey
	var earlier []string
	for i, m := range msgs {
		id := m.ids(t, "Message-Id")[0]
		refs := m.ids(t, "References")
		if refs[0] != "open2@example.org" {
			t.Errorf("message %d: References %v do not start at the opening message", i, refs)
		}
		for _, e := range earlier {
			if !slices.Contains(refs, e) {
				t.Errorf("message %d: References %v lack earlier %s", i, refs, e)
			}
		}
		if i > 0 {
			if irt := m.ids(t, "In-Reply-To"); !slices.Equal(irt, []string{earlier[len(earlier)-1]}) {
				t.Errorf("message %d: In-Reply-To %v, want %s", i, irt, earlier[len(earlier)-1])
			}
			// DESIGN.md: the link in every requester e-mail carries the key.
			if !strings.Contains(m.Text, "?k="+key) {
				t.Errorf("requester message %d lacks the lookup link with the access key", i)
			}
			if m.get("Auto-Submitted") != "auto-generated" {
				t.Errorf("message %d: Auto-Submitted %q", i, m.get("Auto-Submitted"))
			}
		}
		subject := m.subject(t)
		if subject != "[Protocolo "+number+"] Conta com valor errado" || strings.Count(subject, "[Protocolo") != 1 {
			t.Errorf("message %d: Subject %q", i, subject)
		}
		earlier = append(earlier, id)
	}
	if !strings.Contains(msgs[0].Raw, key) {
		t.Error("the ack does not carry the access key")
	}
	if !strings.Contains(msgs[1].Text, "Gerência Comercial") || !strings.Contains(msgs[2].Text, "> O novo boleto segue por correio.") {
		t.Errorf("status update or reply text:\n%s\n%s", msgs[1].Text, msgs[2].Text)
	}
	// The reply's Cc copy: its own envelope, To header and token; nobody
	// sees the other participants' addresses (LGPD).
	cc := srv.to(t, "vizinho@example.org")
	if len(cc) != 1 || cc[0].get("Message-Id") != msgs[2].get("Message-Id") || cc[0].get("Cc") != "" ||
		!strings.Contains(cc[0].get("To"), "vizinho@example.org") || strings.Contains(cc[0].Raw, joana) {
		t.Fatalf("Cc copy: %d messages, headers To %q Cc %q", len(cc), cc[0].get("To"), cc[0].get("Cc"))
	}
	if msgs[2].get("Cc") != "" || strings.Contains(msgs[2].Raw, "vizinho@example.org") {
		t.Errorf("the requester's copy shows the Cc'd participant: Cc %q", msgs[2].get("Cc"))
	}
	if strings.Contains(cc[0].Raw, key) {
		t.Error("the Cc'd participant's copy carries the access key")
	}
	if c, err := svc.Keys().Verify(cc[0].token(t), "vizinho@example.org"); err != nil || c.Issued.IsZero() {
		t.Errorf("Cc copy's token does not verify for the Cc'd address, or carries no issue date: %+v %v", c, err)
	}
	if _, err := svc.Keys().Verify(cc[0].token(t), joana); err == nil {
		t.Error("Cc copy's token verifies for the requester")
	}
}

func TestSMTPAuth(t *testing.T) {
	t.Parallel()
	svc, clk := newService(t), newClock()
	srv := newSink(t)
	srv.User, srv.Pass = "tramita", "s3nha"
	open(t, svc, 7, joana, "Pedido")
	cfg, err := mailout.ParseSMTPURL("smtp://tramita:wrong@" + srv.Addr + "?starttls=none&helo=tramita.test")
	if err != nil {
		t.Fatal(err)
	}
	bad := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.SMTP = cfg })
	if _, err := bad.RunOnce(context.Background()); !errors.Is(err, mailout.ErrSMTPUnavailable) {
		t.Fatalf("wrong password: %v, want ErrSMTPUnavailable", err)
	}
	cfg.Password = "s3nha"
	good := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.SMTP = cfg })
	clk.Advance(time.Hour)
	if n := runOnce(t, good); n != 2 {
		t.Fatalf("with the right password sent %d", n)
	}
}

func TestRunStopsAfterTheMessageInHand(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	for i := range 3 {
		open(t, svc, 10+i, "pessoa"+string(rune('a'+i))+"@example.org", "Pedido")
	}
	inData, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv.OnData = func() {
		once.Do(func() {
			close(inData)
			<-release
		})
	}
	w := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.Interval = time.Hour; c.BatchSize = 10 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	<-inData
	cancel()
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	var sent, queued, attempted int
	if err := svc.Pool().QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'queued'),
		count(*) FILTER (WHERE status = 'queued' AND attempts > 0) FROM notifications`).Scan(&sent, &queued, &attempted); err != nil {
		t.Fatal(err)
	}
	if sent != 1 || queued != 5 || attempted != 0 || len(srv.messages()) != 1 {
		t.Fatalf("after shutdown: %d sent, %d queued (%d with attempts), %d received; want 1, 5 released, 1", sent, queued, attempted, len(srv.messages()))
	}
}

func TestKickWakesTheWorker(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	w := newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.Interval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// The timer's next tick is an hour away: only Kick delivers these.
	for i := range 2 {
		open(t, svc, 20+i, "pessoa"+string(rune('a'+i))+"@example.org", "Pedido")
		w.Kick()
		w.Kick() // merged with the first
		for range 2 {
			select {
			case <-srv.got:
			case <-time.After(10 * time.Second):
				t.Fatal("Kick did not wake the worker")
			}
		}
	}
}

func notificationStatus(t testing.TB, svc *core.Service, number string, kind core.NotificationKind) string {
	t.Helper()
	status := ""
	for _, n := range show(t, svc, number).Notifications {
		if n.Kind == kind {
			status = n.Status
		}
	}
	return status
}

func queueTo(t testing.TB, svc *core.Service, number string, n core.Notification) {
	t.Helper()
	ref, err := svc.ProtocolByNumber(context.Background(), mustNumber(t, number))
	if err != nil {
		t.Fatal(err)
	}
	n.ProtocolID = ref.ID
	if _, err := svc.QueueNotification(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

func mustNumber(t testing.TB, s string) core.Number {
	t.Helper()
	n, err := core.ParseNumber(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func headerBlock(raw string) string {
	h, _, _ := strings.Cut(raw, "\r\n\r\n")
	return h
}

// TestUnitNoticeCarriesTheFiles checks that the unit's notice carries the
// step's files as attachments (DESIGN.md: "full dispatch and files"), and
// the requester's acknowledgement does not.
func TestUnitNoticeCarriesTheFiles(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	in := core.Inbound{
		Raw:       []byte("From: joana@example.org\r\nSubject: x\r\nMessage-ID: <files1@example.org>\r\n\r\nFoto anexa\r\n"),
		MessageID: "files1@example.org", Subject: "Vazamento com foto", From: core.Address{Email: joana},
		Recipients: []string{"protocolo+vazamento@saneamento.example.gov.br"}, Text: "Foto anexa", FullText: "Foto anexa",
		Class:       core.ClassNormal,
		Attachments: []core.InboundAttachment{{Filename: "calçada.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff jpeg bytes")}},
	}
	if res, err := svc.Ingest(context.Background(), in); err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	store := &filesCounter{Service: svc}
	runOnce(t, newWorker(t, svc, srv.Port, clk, func(c *mailout.Config) { c.Store = store }))
	notices := srv.to(t, "bruno.lima@saneamento.example.gov.br") // VAZAMENTO → GOPE
	if len(notices) != 1 || string(notices[0].Files["calçada.jpg"]) != "\xff\xd8\xff jpeg bytes" {
		t.Fatalf("unit notice files: %d messages, %v", len(notices), notices)
	}
	carriers := 0
	for _, m := range srv.messages() {
		if len(parse(t, m.Raw).Files) > 0 {
			carriers++
		}
	}
	if carriers < 2 || store.calls.Load() != 1 {
		t.Errorf("%d copies carry the files, read %d times from the database; want every copy of the unit's notices from one read",
			carriers, store.calls.Load())
	}
	if ack := srv.to(t, joana); len(ack) != 1 || len(ack[0].Files) != 0 {
		t.Errorf("the acknowledgement carries files")
	}
}

// filesCounter is the real store, counting the reads of step files.
type filesCounter struct {
	*core.Service
	calls atomic.Int32
}

func (f *filesCounter) StepFiles(ctx context.Context, stepID, maxBytes int64) ([]core.StepFile, error) {
	f.calls.Add(1)
	return f.Service.StepFiles(ctx, stepID, maxBytes)
}

// TestOutsideRecipientsWarningOnTheWire: a staff member's reply through
// the reply address of their unit notice, also addressed to the requester
// and a stranger, makes core queue an outside_recipients warning that the
// worker delivers to the staff member alone, naming both addresses and
// when the reply address stops acting, with a fresh staff reply address.
func TestOutsideRecipientsWarningOnTheWire(t *testing.T) {
	t.Parallel()
	svc, srv, clk := newService(t), newSink(t), newClock()
	number := open(t, svc, 31, "Joana Cidadã <"+joana+">", "Vazamento na calçada")
	w := newWorker(t, svc, srv.Port, clk)
	runOnce(t, w)
	notices := srv.to(t, carla)
	if len(notices) != 1 {
		t.Fatalf("%d unit notices", len(notices))
	}
	claims, err := svc.Keys().Verify(notices[0].token(t), carla)
	if err != nil || claims.StaffID == 0 {
		t.Fatalf("staff token: %+v %v", claims, err)
	}
	in := core.Inbound{Raw: []byte("From: carla\r\nSubject: Re\r\n\r\nDespacho interno.\r\n"), MessageID: "reply-all-31@saneamento.example.gov.br",
		Subject: "Vazamento na calçada", From: core.Address{Email: carla},
		Cc:   []core.Address{{Email: joana}, {Name: "Vizinho", Email: "vizinho@example.net"}, {Email: "protocolo@saneamento.example.gov.br"}},
		Text: "Despacho interno.", CommandText: "Despacho interno.", FullText: "Despacho interno.", Class: core.ClassNormal,
		Match: core.Match{ProtocolID: claims.ProtocolID, StaffID: claims.StaffID, Rule: "token", TokenIssued: claims.Issued}}
	if res, err := svc.Ingest(context.Background(), in); err != nil || res.Outcome != core.OutcomeAppended {
		t.Fatalf("reply: %+v %v", res, err)
	}
	runOnce(t, w)
	msgs := srv.to(t, carla)
	if len(msgs) != 2 {
		t.Fatalf("%d messages to the staff member, want the notice and the warning", len(msgs))
	}
	warn := msgs[1]
	if got, want := warn.subject(t), "[Protocolo "+number+"] Sua resposta também foi para endereços externos"; got != want {
		t.Errorf("Subject %q, want %q", got, want)
	}
	for _, want := range []string{joana, "vizinho@example.net", "age em seu nome"} {
		if !strings.Contains(warn.Text, want) {
			t.Errorf("warning lacks %q:\n%s", want, warn.Text)
		}
	}
	if strings.Contains(warn.Text, "protocolo@saneamento") {
		t.Errorf("the warning names our own address:\n%s", warn.Text)
	}
	if c, err := svc.Keys().Verify(warn.token(t), carla); err != nil || c.StaffID != claims.StaffID {
		t.Errorf("warning's Reply-To: %+v %v", c, err)
	}
	if len(srv.to(t, joana)) != 1 || len(srv.to(t, "vizinho@example.net")) != 0 {
		t.Errorf("the warning went beyond the staff member")
	}
}
