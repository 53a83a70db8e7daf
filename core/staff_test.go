package core_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/tramita/tramita/internal/showtest"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newServiceClock is newService with a settable clock.
func newServiceClock(t *testing.T, c *clock) *core.Service {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:test-secret-of-enough-length")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyOrg(context.Background(), sampleOrg(t)); err != nil {
		t.Fatal(err)
	}
	return svc
}

func staffNamed(t *testing.T, svc *core.Service, email string) core.Staff {
	t.Helper()
	st, err := svc.StaffByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("staff %s: %v", email, err)
	}
	return st
}

const (
	ana   = "ana.souza@saneamento.example.gov.br"  // manager, GCOM
	bruno = "bruno.lima@saneamento.example.gov.br" // staff, GOPE
	carla = "carla.admin@saneamento.example.gov.br"
)

// openTo opens a protocol of the type whose address is rcpt, with subject
// and text, and returns its number.
func openTo(t *testing.T, svc *core.Service, i int, rcpt, subject, text string) core.Number {
	t.Helper()
	in := newMail(i, "joana.cidada@example.org")
	in.Recipients = []string{rcpt}
	in.Subject, in.Text, in.FullText = subject, text, text
	res, err := svc.Ingest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	n, err := core.ParseNumber(res.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func numbers(p core.ListPage) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Number)
	}
	return out
}

// TestOnePermissionPredicate: a member of another unit can neither list,
// search, open, download nor act on a protocol; an admin can; the SQL of
// lists and search agrees with CanAct for every staff member and protocol.
func TestOnePermissionPredicate(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	gcom := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação de água na Rua das Acácias", "Peço a ligação de água.")
	gope := openTo(t, svc, 2, "vazamento@saneamento.example.gov.br", "Vazamento na calçada", "Há um vazamento de água na calçada.")
	a, b, c := staffNamed(t, svc, ana), staffNamed(t, svc, bruno), staffNamed(t, svc, carla)

	for _, tc := range []struct {
		name    string
		st      core.Staff
		visible []string
	}{
		{"ana (GCOM)", a, []string{gcom.String()}},
		{"bruno (GOPE)", b, []string{gope.String()}},
		{"carla (admin)", c, []string{gope.String(), gcom.String()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := svc.Queue(ctx, tc.st, core.QueueQuery{Queue: core.QueueInbox})
			if err != nil {
				t.Fatal(err)
			}
			if got := numbers(page); !slices.Equal(got, tc.visible) && !(len(got) == 2 && len(tc.visible) == 2) {
				t.Errorf("Caixa = %v, want %v", got, tc.visible)
			}
			// "água" is in both protocols: search must still stay in scope.
			for _, q := range []string{"agua", "água", gcom.Digits(), gope.String(), "joana.cidada@example.org", ""} {
				res, _, err := svc.Search(ctx, tc.st, core.SearchQuery{Q: q})
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range numbers(res) {
					if !slices.Contains(tc.visible, n) {
						t.Errorf("search %q returned %s, outside the scope", q, n)
					}
				}
			}
			for _, n := range []core.Number{gcom, gope} {
				allowed := slices.Contains(tc.visible, n.String())
				_, err := svc.OpenProtocol(ctx, tc.st, n)
				if allowed != (err == nil) || (!allowed && !errors.Is(err, core.ErrForbidden)) {
					t.Errorf("open %s: %v (allowed %v)", n, err, allowed)
				}
				_, err = svc.StaffRawMessage(ctx, tc.st, n, 1)
				if allowed != (err == nil) {
					t.Errorf("raw message of %s: %v (allowed %v)", n, err, allowed)
				}
				_, err = svc.Act(ctx, core.StaffAction{Staff: tc.st, Number: &n, Commands: "#nota", Dispatch: "visto"})
				if allowed != (err == nil) || (!allowed && !errors.Is(err, core.ErrForbidden)) {
					t.Errorf("act on %s: %v (allowed %v)", n, err, allowed)
				}
			}
		})
	}
	// Words are found without accents and by stem, numbers without
	// punctuation, by requester e-mail.
	for q, want := range map[string]string{"ligacao": gcom.String(), "vazamentos": gope.String(), gcom.Digits(): gcom.String(),
		"acacias": gcom.String()} {
		res, _, err := svc.Search(ctx, c, core.SearchQuery{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		if got := numbers(res); !slices.Equal(got, []string{want}) {
			t.Errorf("search %q = %v, want [%s]", q, got, want)
		}
	}
	// A file of a private step: the staff of the unit may download it, others not.
	n := gcom
	if _, err := svc.Act(ctx, core.StaffAction{Staff: a, Number: &n, Commands: "#nota", Dispatch: "parecer",
		Files: []core.InboundAttachment{{Filename: "parecer.txt", ContentType: "text/plain", Data: []byte("sigiloso")}}}); err != nil {
		t.Fatal(err)
	}
	pv, err := svc.OpenProtocol(ctx, a, n)
	if err != nil {
		t.Fatal(err)
	}
	var fileID int64
	for _, s := range pv.Steps {
		for _, f := range s.Attachments {
			fileID = f.ID
		}
	}
	if f, err := svc.StaffAttachment(ctx, a, n, fileID); err != nil || string(f.Content) != "sigiloso" {
		t.Errorf("member download: %v", err)
	}
	if _, err := svc.StaffAttachment(ctx, b, n, fileID); !errors.Is(err, core.ErrForbidden) {
		t.Errorf("other unit's download: %v, want forbidden", err)
	}
	if _, err := svc.StaffAttachment(ctx, c, n, fileID); err != nil {
		t.Errorf("admin download: %v", err)
	}
}

func TestReceiptOnFirstOpeningByTheHoldingUnit(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	n := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	a, c := staffNamed(t, svc, ana), staffNamed(t, svc, carla)
	unread := func(st core.Staff) bool {
		page, err := svc.Queue(ctx, st, core.QueueQuery{})
		if err != nil || len(page.Items) == 0 {
			t.Fatalf("queue: %v %v", page, err)
		}
		return page.Items[0].Unread
	}
	// An admin of another unit opening it is no receipt.
	if _, err := svc.OpenProtocol(ctx, c, n); err != nil {
		t.Fatal(err)
	}
	if !unread(a) {
		t.Fatal("opened by an admin of another unit: no longer unread")
	}
	p, err := svc.OpenProtocol(ctx, a, n)
	if err != nil {
		t.Fatal(err)
	}
	if p.ReceivedBy != "Ana Souza" || p.ReceivedAt == nil || !p.ReceivedAt.Equal(fixedNow) || unread(a) {
		t.Fatalf("receipt = %q %v, want Ana Souza at %v", p.ReceivedBy, p.ReceivedAt, fixedNow)
	}
	// Forwarded: unread again in the new unit.
	if _, err := svc.Act(ctx, core.StaffAction{Staff: a, Number: &n, Commands: "#encaminhar GOPE"}); err != nil {
		t.Fatal(err)
	}
	b := staffNamed(t, svc, bruno)
	if !unread(b) {
		t.Error("forwarded protocol is not unread in the new unit")
	}
}

// TestWebActionEqualsMailReply: the same commands given on the staff site
// and by a mail reply with a signed staff token give the same steps,
// notifications and transcript (DESIGN.md, "Every door leads to the same core").
func TestWebActionEqualsMailReply(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a := staffNamed(t, svc, ana)
	commands := "#encaminhar GOPE\n#prazo 5du\n#publico"
	dispatch := "Encaminho para vistoria do ramal."

	mailN := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	webN := openTo(t, svc, 2, "ligacao@saneamento.example.gov.br", "Ligação", "texto")

	mailRef, err := svc.ProtocolByNumber(ctx, mailN)
	if err != nil {
		t.Fatal(err)
	}
	reply := core.Inbound{Raw: []byte("From: ana\r\nSubject: Re\r\n\r\n" + commands + "\r\n\r\n" + dispatch + "\r\n"), MessageID: "reply1@example.org",
		Subject: "Ligação", From: core.Address{Name: "Ana Souza", Email: ana}, Class: core.ClassNormal,
		Text: commands + "\n\n" + dispatch, CommandText: commands + "\n\n" + dispatch, FullText: commands + "\n\n" + dispatch + "\n\n> citação",
		Match: core.Match{ProtocolID: mailRef.ID, StaffID: a.ID, Rule: "token"}}
	mailRes, err := svc.Ingest(ctx, reply)
	if err != nil {
		t.Fatal(err)
	}
	webRes, err := svc.Act(ctx, core.StaffAction{Staff: a, Number: &webN, Commands: commands, Dispatch: dispatch})
	if err != nil {
		t.Fatal(err)
	}
	if mailRes.Transcript == nil || webRes.Transcript == nil || !webRes.Transcript.Applied {
		t.Fatalf("transcripts: mail %+v, web %+v", mailRes.Transcript, webRes.Transcript)
	}
	if !slices.Equal(mailRes.Transcript.Lines, webRes.Transcript.Lines) {
		t.Errorf("transcript by mail %+v, on the web %+v", mailRes.Transcript.Lines, webRes.Transcript.Lines)
	}
	mv, err := svc.Show(ctx, mailN)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := svc.Show(ctx, webN)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := showtest.Comparable(t, wv), showtest.Comparable(t, mv); got != want {
		t.Errorf("show --json differs\nweb:  %s\nmail: %s", got, want)
	}
	if len(wv.Steps) != 2 || wv.Steps[1].Kind != core.StepForwarded || wv.Steps[1].Visibility != core.Public || wv.Steps[1].Text != dispatch {
		t.Errorf("web steps = %+v", wv.Steps)
	}
}

func TestBalcaoOpensOnBehalf(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a := staffNamed(t, svc, ana)
	res, err := svc.Act(ctx, core.StaffAction{Staff: a, Subject: "Pedido no balcão",
		Commands: "#tipo LIGACAO\n#requerente\nNome: Maria da Silva\nCPF: 529.982.247-25\nE-mail: maria@example.org",
		Dispatch: "Atendimento presencial."})
	if err != nil {
		t.Fatal(err)
	}
	if res.Transcript == nil || !res.Transcript.Applied || res.Transcript.Number == "" {
		t.Fatalf("transcript %+v", res.Transcript)
	}
	page, kind, err := svc.Search(ctx, a, core.SearchQuery{Q: "529.982.247-25"})
	if err != nil || kind != core.SearchDocument || len(page.Items) != 1 || page.Items[0].Number != res.Transcript.Number {
		t.Fatalf("search by CPF: %v %v %v", numbers(page), kind, err)
	}
	if page.Items[0].Requester != "Maria da Silva" || page.Items[0].Subject != "Pedido no balcão" {
		t.Errorf("item = %+v", page.Items[0])
	}
}

func TestQueueKeysetPagination(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	var all []string
	for i := range 7 {
		c.Add(time.Minute)
		all = append(all, openTo(t, svc, i, "ligacao@saneamento.example.gov.br", "Ligação", "texto").String())
	}
	slices.Reverse(all)
	a := staffNamed(t, svc, ana)
	var got []string
	after := ""
	for range 10 {
		page, err := svc.Queue(ctx, a, core.QueueQuery{After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, numbers(page)...)
		if after = page.Next; after == "" {
			break
		}
	}
	if !slices.Equal(got, all) {
		t.Errorf("pages = %v, want %v", got, all)
	}
	due, err := svc.Queue(ctx, a, core.QueueQuery{Queue: core.QueueDue, Limit: 100})
	if err != nil || len(due.Items) != 7 || due.Items[0].Number != all[6] {
		t.Errorf("due = %v %v (earliest deadline first)", numbers(due), err)
	}
}

func TestSignInPasswordTOTPThrottleAndSessions(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	if err := svc.SetStaffPassword(ctx, ana, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "wrong", Client: "10.0.0.1"}); !errors.Is(err, core.ErrSignInFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	sess, err := svc.SignInPassword(ctx, core.SignIn{Email: "Ana.Souza@saneamento.example.gov.br", Password: "correct horse battery", Client: "10.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := svc.SessionStaff(ctx, sess.Token); err != nil || st.Email != ana {
		t.Fatalf("session: %v %v", st, err)
	}
	// Idle 29 min: alive; then 30 min idle: ended.
	c.Add(29 * time.Minute)
	if _, err := svc.SessionStaff(ctx, sess.Token); err != nil {
		t.Fatalf("after 29 min: %v", err)
	}
	c.Add(30 * time.Minute)
	if _, err := svc.SessionStaff(ctx, sess.Token); !errors.Is(err, core.ErrSessionEnded) {
		t.Fatalf("after 30 min idle: %v", err)
	}
	// Absolute 12 h even when used every 20 minutes.
	sess, err = svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		c.Add(20 * time.Minute)
		if _, err := svc.SessionStaff(ctx, sess.Token); err != nil {
			t.Fatalf("at %v: %v", elapsed, err)
		}
	}
	c.Add(20 * time.Minute)
	if _, err := svc.SessionStaff(ctx, sess.Token); !errors.Is(err, core.ErrSessionEnded) {
		t.Fatalf("after 12 h: %v", err)
	}

	// TOTP: required once set; a code works once.
	key, err := svc.SetStaffTOTP(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.URL(), "otpauth://totp/") {
		t.Errorf("URI %q", key.URL())
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery"}); !errors.Is(err, core.ErrTOTPRequired) {
		t.Fatalf("without code: %v", err)
	}
	code, _ := totp.GenerateCode(key.Secret(), c.Now())
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Code: code}); err != nil {
		t.Fatalf("with code: %v", err)
	}
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Code: code}); !errors.Is(err, core.ErrSignInFailed) {
		t.Fatalf("code reused: %v", err)
	}
	// Throttle: after MaxFailsAccount failures even the right answer is refused.
	c.Add(time.Hour)
	for range core.MaxFailsAccount {
		if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "guess", Code: "000000"}); !errors.Is(err, core.ErrSignInFailed) {
			t.Fatalf("guess: %v", err)
		}
	}
	c.Add(30 * time.Second)
	code, _ = totp.GenerateCode(key.Secret(), c.Now())
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Code: code}); !errors.Is(err, core.ErrThrottled) {
		t.Fatalf("throttled: %v", err)
	}
	c.Add(core.ThrottleWindow)
	code, _ = totp.GenerateCode(key.Secret(), c.Now())
	if _, err := svc.SignInPassword(ctx, core.SignIn{Email: ana, Password: "correct horse battery", Code: code}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	var failures, signins int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE event = 'failure'), count(*) FILTER (WHERE event = 'signin')
		FROM staff_signin_audit`).Scan(&failures, &signins); err != nil {
		t.Fatal(err)
	}
	if failures < core.MaxFailsAccount+2 || signins != 4 {
		t.Errorf("audit: %d failures, %d sign-ins", failures, signins)
	}
}

func TestSignInLinkOnceAndDeactivationEndsSessions(t *testing.T) {
	t.Parallel()
	c := &clock{t: fixedNow}
	svc := newServiceClock(t, c)
	ctx := context.Background()
	if err := svc.RequestSignInLink(ctx, "nobody@example.org", "10.0.0.2", "https://x/gestao/entrar/link/"); err != nil {
		t.Fatalf("unknown address: %v (must look the same as a known one)", err)
	}
	if err := svc.RequestSignInLink(ctx, bruno, "10.0.0.2", "https://x/gestao/entrar/link/"); err != nil {
		t.Fatal(err)
	}
	var link string
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link' AND to_addrs = ARRAY[$1]`, bruno).
		Scan(&link); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(link, "https://x/gestao/entrar/link/")
	if ok, err := svc.SignInLinkValid(ctx, token); !ok || err != nil {
		t.Fatalf("valid: %v %v", ok, err)
	}
	sess, err := svc.SignInWithLink(ctx, token, "10.0.0.2")
	if err != nil || sess.Staff.Email != bruno {
		t.Fatalf("sign in with link: %v %v", sess, err)
	}
	if _, err := svc.SignInWithLink(ctx, token, "10.0.0.2"); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("second use: %v", err)
	}
	var left *string
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link'`).Scan(&left); err != nil || left != nil {
		t.Errorf("the used link is still in the outbox: %v %v", left, err)
	}
	// An expired link does not sign in.
	if err := svc.RequestSignInLink(ctx, ana, "", "L/"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link' AND to_addrs = ARRAY[$1]`, ana).
		Scan(&link); err != nil {
		t.Fatal(err)
	}
	c.Add(core.SignInLinkTTL)
	if _, err := svc.SignInWithLink(ctx, strings.TrimPrefix(link, "L/"), ""); !errors.Is(err, core.ErrSignInFailed) {
		t.Errorf("expired link: %v", err)
	}

	// org apply without Bruno: his session ends.
	spec := sampleOrg(t)
	for i, m := range spec.Staff {
		if m.Email == bruno {
			spec.Staff = slices.Delete(spec.Staff, i, i+1)
			break
		}
	}
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SessionStaff(ctx, sess.Token); !errors.Is(err, core.ErrSessionEnded) {
		t.Errorf("deactivated staff's session: %v", err)
	}
	var ended int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM staff_sessions`).Scan(&ended); err != nil || ended != 0 {
		t.Errorf("sessions left: %d %v", ended, err)
	}
}

// TestDueQueueHasLegalDeadlines: Vencendo / Vencidos lists a protocol whose
// only deadline is the legal one (Ouvidoria, 30dc), and orders protocols by
// the earlier of their hand-off and legal deadlines.
func TestDueQueueHasLegalDeadlines(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	c := staffNamed(t, svc, carla) // admin: every unit
	legalOnly := openTo(t, svc, 1, "ouvidoria@saneamento.example.gov.br", "Reclamação", "texto")
	handOff := openTo(t, svc, 2, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	// The reclamação keeps only its legal deadline.
	if res, err := svc.Act(ctx, core.StaffAction{Staff: c, Number: &legalOnly, Commands: "#prazo remover"}); err != nil ||
		res.Transcript == nil || !res.Transcript.Applied {
		t.Fatalf("#prazo remover: %+v %v", res.Transcript, err)
	}
	due, err := svc.Queue(ctx, c, core.QueueQuery{Queue: core.QueueDue})
	if err != nil {
		t.Fatal(err)
	}
	// The ligação's hand-off deadline (days) comes before the reclamação's
	// 30 calendar days.
	if got, want := numbers(due), []string{handOff.String(), legalOnly.String()}; !slices.Equal(got, want) {
		t.Fatalf("due = %v, want %v", got, want)
	}
	if it := due.Items[1]; it.Deadline != nil || it.LegalDeadline == nil || !it.Due().Equal(*it.LegalDeadline) {
		t.Errorf("legal-only item: deadline %v, legal %v, due %v", it.Deadline, it.LegalDeadline, it.Due())
	}
	// Keyset: the second page starts after the first item.
	first, err := svc.Queue(ctx, c, core.QueueQuery{Queue: core.QueueDue, Limit: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	second, err := svc.Queue(ctx, c, core.QueueQuery{Queue: core.QueueDue, Limit: 1, After: first.Next})
	if err != nil || !slices.Equal(numbers(second), []string{legalOnly.String()}) {
		t.Errorf("second page = %v %v", numbers(second), err)
	}
}

// TestActSameKeyAppliesOnce: the staff site's form posted twice with the
// same idempotency key (double click, F5, two tabs) is one action: one
// step, one reply to the requester; the repeats are duplicates.
func TestActSameKeyAppliesOnce(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a := staffNamed(t, svc, ana)
	n := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	act := core.StaffAction{Staff: a, Number: &n, Commands: "#responder", Dispatch: "Vistoria marcada.", Key: "form-key-1"}
	results := make(chan core.IngestResult, 3)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			res, err := svc.Act(ctx, act)
			results <- res
			errs <- err
		}()
	}
	applied := 0
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		switch res := <-results; res.Outcome {
		case core.OutcomeDuplicate:
		default:
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("%d of 3 posts applied, want 1", applied)
	}
	v, err := svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, nt := range v.Notifications {
		if nt.Kind == core.NotifyReply {
			replies++
		}
	}
	if len(v.Steps) != 2 || replies != 1 {
		t.Errorf("steps = %d, replies to the requester = %d; want 2 and 1", len(v.Steps), replies)
	}
}

// TestReplyToSignInLinkOpensNothing: a reply to a notice that is about no
// protocol (here the staff sign-in link) is recorded and opens nothing, so
// the link it quotes never lands in a protocol's opening step.
func TestReplyToSignInLinkOpensNothing(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	if err := svc.RequestSignInLink(ctx, ana, "127.0.0.1", "http://127.0.0.1:8080/gestao/entrar/link/"); err != nil {
		t.Fatal(err)
	}
	var msgID, link string
	if err := svc.Pool().QueryRow(ctx, `SELECT message_id, data->>'link' FROM notifications WHERE kind = 'signin_link'`).Scan(&msgID, &link); err != nil {
		t.Fatal(err)
	}
	text := "Obrigada.\n\n> Entre pelo link: " + link
	for i, from := range []core.Address{{Name: "Ana Souza", Email: ana}, {Email: "atacante@example.org"}} {
		in := core.Inbound{Raw: []byte(fmt.Sprintf("From: %s\r\nSubject: Re: Acesso\r\n\r\n%s\r\n", from.Email, text)),
			MessageID: fmt.Sprintf("reply-signin-%d@example.org", i), Subject: "Re: Acesso à página de trâmites", From: from,
			Recipients: []string{"protocolo@saneamento.example.gov.br"}, Class: core.ClassNormal,
			Text: text, FullText: text, References: []string{msgID}}
		res, err := svc.Ingest(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != core.OutcomeRejected || res.Protocol != "" || len(res.Notifications) != 0 {
			t.Errorf("reply from %s: %+v, want rejected with no protocol and no mail", from.Email, res)
		}
	}
	var protocols int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&protocols); err != nil || protocols != 0 {
		t.Errorf("protocols = %d %v, want 0", protocols, err)
	}
}

// TestActionTextIsNotCut: a staff-site action's step keeps its whole
// dispatch; the command lines above it are read, not cut, so the step is
// not marked "texto recortado".
func TestActionTextIsNotCut(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	a := staffNamed(t, svc, ana)
	n := openTo(t, svc, 1, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	if _, err := svc.Act(ctx, core.StaffAction{Staff: a, Number: &n, Commands: "#nota", Dispatch: "Vistoria marcada."}); err != nil {
		t.Fatal(err)
	}
	v, err := svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if s := v.Steps[len(v.Steps)-1]; s.Text != "Vistoria marcada." || s.TextCut {
		t.Errorf("step text %q, cut %v; want the dispatch, not cut", s.Text, s.TextCut)
	}
}

// TestReplyToTooLargeOpensTheRequest: the too-large answer asks for the
// request again in smaller messages, so a reply to it (about no protocol)
// opens a protocol like any new message, where a reply to the other
// protocol-less notices opens nothing (KindInfo.NewMessageOnReply).
func TestReplyToTooLargeOpensTheRequest(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	big := []byte("From: joana@example.org\r\nSubject: Fotos\r\n\r\n" + strings.Repeat("x", int(svc.MaxMessageBytes())))
	if res, err := svc.Ingest(ctx, core.Inbound{Raw: big, Subject: "Fotos do vazamento", TooLarge: true, MessageID: "big-reply@example.org",
		From: core.Address{Email: "joana@example.org"}, Class: core.ClassNormal}); err != nil || res.Outcome != core.OutcomeRejected {
		t.Fatalf("too large: %+v %v", res, err)
	}
	var msgID string
	if err := svc.Pool().QueryRow(ctx, `SELECT message_id FROM notifications WHERE kind = 'too_large'`).Scan(&msgID); err != nil {
		t.Fatal(err)
	}
	text := "Segue de novo, com fotos menores."
	res, err := svc.Ingest(ctx, core.Inbound{Raw: []byte("From: joana@example.org\r\nSubject: Re: Fotos\r\n\r\n" + text + "\r\n"),
		MessageID: "small-reply@example.org", Subject: "Fotos do vazamento", From: core.Address{Email: "joana@example.org"},
		Recipients: []string{"protocolo@saneamento.example.gov.br"}, Class: core.ClassNormal, Text: text, FullText: text,
		References: []string{"big-reply@example.org", msgID}})
	if err != nil || res.Outcome != core.OutcomeCreated || res.Protocol == "" {
		t.Fatalf("reply to the too-large answer: %+v %v, want a new protocol", res, err)
	}
}
