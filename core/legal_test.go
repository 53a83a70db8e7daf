package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

var maceio, _ = time.LoadLocation("America/Maceio")

// localDay formats t as a day in the sample organization's zone.
func localDay(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.In(maceio).Format("2006-01-02 15:04")
}

// openAt opens a protocol by mail to address and returns its number.
func openAt(t *testing.T, svc *core.Service, i int, from, address string) core.Number {
	t.Helper()
	in := newMail(i, from)
	in.Recipients = []string{address}
	res, err := svc.Ingest(context.Background(), in)
	if err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("opening to %s: %+v, %v", address, res, err)
	}
	n, err := core.ParseNumber(res.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func show(t *testing.T, svc *core.Service, n core.Number) core.ProtocolView {
	t.Helper()
	v, err := svc.Show(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestLegalDeadlineAtOpening: a type with legal_deadline gets it at
// opening, counted in dc (Lei 9.784/1999 art. 66) from the opening day;
// a type without one gets none. fixedNow is Sunday 29 Nov 2026, 10:00 in
// Maceió: 30dc is Tuesday 29 Dec; 20dc is Saturday 19 Dec, so Monday 21.
func TestLegalDeadlineAtOpening(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	cases := []struct {
		address, typ, want, basis string
	}{
		{"ouvidoria@saneamento.example.gov.br", "RECLAMACAO", "2026-12-29 23:59", "Lei 13.460/2017, art. 16"},
		{"sic@saneamento.example.gov.br", "LAI", "2026-12-21 23:59", "Lei 12.527/2011, art. 11"},
		{"protocolo@saneamento.example.gov.br", "OUTROS", "<nil>", ""},
	}
	for i, c := range cases {
		v := show(t, svc, openAt(t, svc, i+1, "maria@example.org", c.address))
		if v.Type != c.typ || localDay(v.LegalDeadline) != c.want || v.LegalBasis != c.basis || v.Extended {
			t.Errorf("%s: type %s legal deadline %s basis %q extended %v; want %s %s %q false",
				c.address, v.Type, localDay(v.LegalDeadline), v.LegalBasis, v.Extended, c.typ, c.want, c.basis)
		}
	}
}

const davi = "davi.ouvidor@saneamento.example.gov.br"

var mailSeq atomic.Int64

// protocolID returns the database id of n.
func protocolID(t *testing.T, svc *core.Service, n core.Number) int64 {
	t.Helper()
	var id int64
	if err := svc.Pool().QueryRow(context.Background(), `SELECT id FROM protocols WHERE number = $1`, n.String()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// reply sends text on protocol n from from; a staff sender is authenticated
// (DMARC pass from a trusted server), so its # lines are commands.
func reply(t *testing.T, svc *core.Service, n core.Number, from, text string) core.IngestResult {
	t.Helper()
	i := mailSeq.Add(1)
	in := core.Inbound{
		Raw:       []byte(fmt.Sprintf("From: %s\r\nSubject: Re: x\r\nMessage-ID: <r%d@example.org>\r\n\r\n%s\r\n", from, i, text)),
		MessageID: fmt.Sprintf("r%d@example.org", i), Subject: "x", From: core.Address{Email: from},
		Text: text, FullText: text, CommandText: text, Class: core.ClassNormal, SenderVerified: true, AuthReason: "dmarc=pass",
		Match: core.Match{ProtocolID: protocolID(t, svc, n), Rule: "subject"},
	}
	res, err := svc.Ingest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// transcript returns the lines of the last command_result on n.
func transcript(t *testing.T, svc *core.Service, n core.Number) []core.TranscriptLine {
	t.Helper()
	var data struct {
		Lines []core.TranscriptLine `json:"lines"`
	}
	if err := svc.Pool().QueryRow(context.Background(), `SELECT data FROM notifications
		WHERE kind = 'command_result' AND protocol_id = $1 ORDER BY id DESC LIMIT 1`, protocolID(t, svc, n)).Scan(&data); err != nil {
		t.Fatal(err)
	}
	return data.Lines
}

// lastData returns the data of the last notification of kind on n.
func lastData(t *testing.T, svc *core.Service, n core.Number, kind core.NotificationKind) (map[string]any, []string) {
	t.Helper()
	var data map[string]any
	var to []string
	if err := svc.Pool().QueryRow(context.Background(), `SELECT data, to_addrs FROM notifications
		WHERE kind = $2 AND protocol_id = $1 ORDER BY id DESC LIMIT 1`, protocolID(t, svc, n), kind).Scan(&data, &to); err != nil {
		t.Fatalf("no %s: %v", kind, err)
	}
	return data, to
}

// TestExtendOnce: #prorrogar pushes the legal deadline by the type's
// extension (30dc from Tue 29 Dec 2026 is Thu 28 Jan 2027), records a
// public step with the reason and tells the requester the reason; a second
// #prorrogar is refused with its reason in the transcript and changes
// nothing.
func TestExtendOnce(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	n := openAt(t, svc, 1, "maria@example.org", "ouvidoria@saneamento.example.gov.br")
	res := reply(t, svc, n, davi, "#prorrogar aguardamos o laudo da vistoria técnica")
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("outcome %s", res.Outcome)
	}
	if l := transcript(t, svc, n); len(l) != 1 || !l[0].OK {
		t.Fatalf("transcript %+v", l)
	}
	v := show(t, svc, n)
	if localDay(v.LegalDeadline) != "2027-01-28 23:59" || !v.Extended {
		t.Fatalf("after #prorrogar: legal deadline %s extended %v, want 2027-01-28 23:59 true", localDay(v.LegalDeadline), v.Extended)
	}
	last := v.Steps[len(v.Steps)-1]
	if last.Kind != core.StepExtended || last.Visibility != core.Public || last.Text != "aguardamos o laudo da vistoria técnica" {
		t.Errorf("step %+v, want a public extended step with the reason", last)
	}
	data, to := lastData(t, svc, n, core.NotifyStatusUpdate)
	if len(to) != 1 || to[0] != "maria@example.org" || data["reason"] != "aguardamos o laudo da vistoria técnica" || data["legal_deadline"] == nil {
		t.Errorf("status update to %v data %v: want the requester told the reason and the new deadline", to, data)
	}

	reply(t, svc, n, davi, "#prorrogar de novo")
	l := transcript(t, svc, n)
	if len(l) != 1 || l[0].OK || !strings.Contains(l[0].Result, "já foi prorrogado em 29/11/2026") {
		t.Fatalf("second #prorrogar transcript %+v, want refused saying when it was extended", l)
	}
	if v2 := show(t, svc, n); localDay(v2.LegalDeadline) != "2027-01-28 23:59" || len(v2.Steps) != len(v.Steps) {
		t.Errorf("second #prorrogar changed the deadline to %s or added steps (%d → %d)",
			localDay(v2.LegalDeadline), len(v.Steps), len(v2.Steps))
	}
	// A type without an extension refuses it.
	m := openAt(t, svc, 2, "maria@example.org", "protocolo@saneamento.example.gov.br")
	reply(t, svc, m, "carla.admin@saneamento.example.gov.br", "#prorrogar motivo")
	if l := transcript(t, svc, m); len(l) != 1 || l[0].OK || !strings.Contains(l[0].Result, "não admite prorrogação") {
		t.Errorf("OUTROS #prorrogar transcript %+v", l)
	}
}

// TestRequestInfoThenAnswer: #complementar sets awaiting_requester,
// interrupts the legal deadline and tells the requester the text; the
// requester's answer puts the protocol back in progress with the legal
// deadline counted in full from the answer: answered on Friday 4 Dec 2026,
// 30dc is Sunday 3 Jan 2027, so Monday 4 Jan. A second #complementar is
// refused.
func TestRequestInfoThenAnswer(t *testing.T) {
	t.Parallel()
	clk := &clock{t: fixedNow}
	svc := newServiceClock(t, clk)
	n := openAt(t, svc, 1, "maria@example.org", "ouvidoria@saneamento.example.gov.br")
	reply(t, svc, n, davi, "#complementar Informe o número da ligação e a data do atendimento.")
	if l := transcript(t, svc, n); len(l) != 1 || !l[0].OK {
		t.Fatalf("transcript %+v", l)
	}
	v := show(t, svc, n)
	if v.Status != core.StatusAwaitingRequester || v.LegalDeadline != nil {
		t.Fatalf("status %s legal deadline %s, want awaiting_requester and interrupted", v.Status, localDay(v.LegalDeadline))
	}
	if last := v.Steps[len(v.Steps)-1]; last.Kind != core.StepInfoRequested || last.Visibility != core.Public ||
		last.Text != "Informe o número da ligação e a data do atendimento." {
		t.Errorf("step %+v", last)
	}
	data, to := lastData(t, svc, n, core.NotifyStatusUpdate)
	if len(to) != 1 || to[0] != "maria@example.org" || data["request"] != "Informe o número da ligação e a data do atendimento." {
		t.Errorf("requester told %v %v", to, data)
	}

	clk.Add(time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC).Sub(fixedNow)) // to Friday 4 Dec, 15:00 in Maceió
	if res := reply(t, svc, n, "maria@example.org", "Ligação 12345, atendida em 20/11."); res.Outcome != core.OutcomeAppended {
		t.Fatalf("answer outcome %s", res.Outcome)
	}
	v = show(t, svc, n)
	if v.Status != core.StatusOpen || localDay(v.LegalDeadline) != "2027-01-04 23:59" {
		t.Fatalf("after the answer: status %s legal deadline %s, want open and 2027-01-04 23:59", v.Status, localDay(v.LegalDeadline))
	}
	reply(t, svc, n, davi, "#complementar mais uma coisa")
	if l := transcript(t, svc, n); len(l) != 1 || l[0].OK || !strings.Contains(l[0].Result, "uma vez por protocolo") {
		t.Errorf("second #complementar transcript %+v", l)
	}
}

// TestConcludeResult: where the type lists results, #concluir needs one
// (accents and case forgiven, the listed spelling kept); the result is
// public and goes to the requester in the conclusion mail with the survey
// link, which records one answer only.
func TestConcludeResult(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	n := openAt(t, svc, 1, "maria@example.org", "ouvidoria@saneamento.example.gov.br")
	for _, text := range []string{"#concluir", "#concluir resolvido"} {
		reply(t, svc, n, davi, text)
		if l := transcript(t, svc, n); len(l) != 1 || l[0].OK || !strings.Contains(l[0].Result, "procedente") {
			t.Errorf("%q transcript %+v, want refused listing the results", text, l)
		}
	}
	if v := show(t, svc, n); v.Status != core.StatusOpen {
		t.Fatalf("status %s after refused #concluir", v.Status)
	}
	reply(t, svc, n, davi, "#concluir Parcialmente PROCEDENTE\nA cobrança foi revista.")
	v := show(t, svc, n)
	if v.Status != core.StatusConcluded || v.Result != "parcialmente procedente" {
		t.Fatalf("status %s result %q", v.Status, v.Result)
	}
	pub, err := svc.PublicLookup(ctx, n, "", "")
	if err != nil || pub.Result != "parcialmente procedente" {
		t.Errorf("public result %q (%v)", pub.Result, err)
	}
	data, to := lastData(t, svc, n, core.NotifyConclusion)
	token, _ := data["survey_token"].(string)
	if len(to) != 1 || to[0] != "maria@example.org" || data["result"] != "parcialmente procedente" || token == "" {
		t.Fatalf("conclusion mail to %v data %v", to, data)
	}

	if _, err := svc.AnswerSurvey(ctx, token+"x", 5, ""); err == nil {
		t.Error("a tampered token was accepted")
	}
	if _, err := svc.AnswerSurvey(ctx, token, 6, ""); !errors.Is(err, core.ErrSurveyInvalid) {
		t.Errorf("rating 6: %v", err)
	}
	sv, err := svc.AnswerSurvey(ctx, token, 4, "  Atendimento rápido.  ")
	if err != nil || !sv.Answered || sv.Rating != 4 {
		t.Fatalf("answer: %+v %v", sv, err)
	}
	if _, err := svc.AnswerSurvey(ctx, token, 1, "mudei de ideia"); !errors.Is(err, core.ErrSurveyAnswered) {
		t.Errorf("second answer: %v, want ErrSurveyAnswered", err)
	}
	var rating int
	var comment string
	if err := svc.Pool().QueryRow(ctx, `SELECT rating, comment FROM surveys`).Scan(&rating, &comment); err != nil || rating != 4 || comment != "Atendimento rápido." {
		t.Errorf("stored %d %q %v", rating, comment, err)
	}
	// A reply token (bound to an address) is no survey token.
	if _, err := svc.Survey(ctx, svc.Keys().Sign(protocolID(t, svc, n), 0, "maria@example.org")); err == nil {
		t.Error("a reply token opened the survey")
	}
	// The survey token is sealed for its own purpose (Keyring.Seal), not a
	// reply token with a made-up audience: the same payload sealed for
	// another purpose, and a token of the old reply-token form, are refused.
	payload, err := svc.Keys().Open("survey", token)
	if err != nil {
		t.Fatalf("survey token not sealed for purpose survey: %v", err)
	}
	for name, other := range map[string]string{
		"sealed for web-confirm": svc.Keys().Seal("web-confirm", payload),
		"reply-token form":       svc.Keys().Sign(protocolID(t, svc, n), 0, "avaliar:"),
	} {
		if _, err := svc.Survey(ctx, other); !errors.Is(err, core.ErrSealInvalid) {
			t.Errorf("%s: %v, want ErrSealInvalid", name, err)
		}
	}
	// Types without results take the argument as free text, or none.
	m := openAt(t, svc, 2, "maria@example.org", "protocolo@saneamento.example.gov.br")
	reply(t, svc, m, "carla.admin@saneamento.example.gov.br", "#concluir")
	if v := show(t, svc, m); v.Status != core.StatusConcluded || v.Result != "" {
		t.Errorf("OUTROS: %s %q", v.Status, v.Result)
	}
}

// TestLegalDeadlineReminders: reminders and the overdue digest name both
// deadlines of a protocol, each once; an extension gets its own reminders.
func TestLegalDeadlineReminders(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	n := openAt(t, svc, 1, "maria@example.org", "ouvidoria@saneamento.example.gov.br")
	at := time.Date(2026, 12, 30, 12, 0, 0, 0, time.UTC) // after the unit's 20dc (21 Dec) and the legal 30dc (29 Dec)
	kinds := func(res core.RemindResult) map[string]int {
		m := map[string]int{}
		for _, q := range res.Queued {
			if q.Protocol == n.String() || q.Protocol == "" {
				m[string(q.Kind)+"/"+q.DeadlineKind]++
			}
		}
		return m
	}
	res, err := svc.RemindPass(ctx, at, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(res); got["reminder_due/handoff"] != 1 || got["reminder_due/legal"] != 1 {
		t.Fatalf("first pass queued %v, want one reminder_due per deadline", got)
	}
	if res, _ = svc.RemindPass(ctx, at, 0); len(kinds(res)) != 0 {
		t.Errorf("second pass queued %v, want nothing", kinds(res))
	}
	d, err := svc.DigestPass(ctx, at)
	if err != nil || len(d.Queued) != 1 || d.Queued[0].Count != 2 {
		t.Fatalf("digest %+v %v: want one digest listing the protocol twice (both deadlines)", d, err)
	}
	data, _ := lastData(t, svc, n, core.NotifyReminderDue)
	if data["deadline_kind"] == nil {
		t.Errorf("reminder data %v lacks deadline_kind", data)
	}
	var legalKinds []string
	rows, err := svc.Pool().Query(ctx, `SELECT e->>'kind' FROM notifications, jsonb_array_elements(data->'protocols') e
		WHERE id = (SELECT min(id) FROM notifications WHERE kind = 'overdue_digest')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		legalKinds = append(legalKinds, k)
	}
	rows.Close()
	if strings.Join(legalKinds, ",") != "handoff,legal" {
		t.Errorf("digest entries %v, want handoff then legal", legalKinds)
	}
}
