package mailin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

var msgSeq atomic.Int64

// mail builds a raw message. headers are extra "Name: value" lines.
func mail(from, to, subject, body string, headers ...string) []byte {
	var b strings.Builder
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\n", from, to, subject)
	fmt.Fprintf(&b, "Message-ID: <cmd-%d@test.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n", msgSeq.Add(1))
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

const (
	paula   = "paula.servidora@orgao.example.gov.br"
	gustavo = "gustavo.ti@orgao.example.gov.br"
	marta   = "marta.diretora@orgao.example.gov.br"
	cidada  = "cidada@example.org"
	service = "protocolo@orgao.example.gov.br"
	trusted = "Authentication-Results: mx.orgao.example.gov.br; dkim=pass header.d=orgao.example.gov.br; dmarc=pass header.from=orgao.example.gov.br"
)

func (h *harness) staffID(email string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM staff WHERE email = $1`, email).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) protocolID(number string) int64 {
	h.t.Helper()
	var id int64
	if err := h.pool.QueryRow(context.Background(), `SELECT id FROM protocols WHERE number = $1`, number).Scan(&id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// staffAddress is the signed reply address a unit notice gives staff member email.
func (h *harness) staffAddress(number, email string) string {
	return "protocolo+" + h.keys.Sign(h.protocolID(number), h.staffID(email), email) + "@orgao.example.gov.br"
}

// open ingests a citizen's new request and returns its number.
func (h *harness) open(body string) string {
	h.t.Helper()
	res := h.ingest(mail("Cidadã <"+cidada+">", service, "Impressora não imprime", body, "Cc: colega@example.org"))
	if res.Outcome != core.OutcomeCreated {
		h.t.Fatalf("open: %+v", res)
	}
	return res.Protocol
}

func (h *harness) notificationData(kind core.NotificationKind, to string) map[string]any {
	h.t.Helper()
	var raw []byte
	err := h.pool.QueryRow(context.Background(), `SELECT data FROM notifications WHERE kind = $1 AND $2 = ANY(to_addrs) ORDER BY id DESC LIMIT 1`,
		kind, to).Scan(&raw)
	if err != nil {
		h.t.Fatalf("no %s notification to %s: %v", kind, to, err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

func TestCommandsForwardWithDeadlineThenConcludeAndReopen(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("A impressora do setor não imprime desde ontem.")

	// Paula answers the unit notice: forward to GTI with a deadline, public dispatch, and a file.
	body := "#Encaminhar gerencia de tecnologia da informacao\n#prazo 5du\n#PUBLICO\n\nEncaminho à TI para verificar a impressora.\n\n-- \nPaula\n"
	res := h.ingest(mail("Paula <"+paula+">", h.staffAddress(num, paula), "Re: [Protocolo "+num+"] Impressora não imprime", body))
	if res.Outcome != core.OutcomeCommands || res.Protocol != num {
		t.Fatalf("forward: %+v", res)
	}
	v := h.show(num)
	if v.Unit != "GTI" || v.Deadline == nil {
		t.Fatalf("after forward: unit %s deadline %v", v.Unit, v.Deadline)
	}
	// 5 business days after Saturday 28 Nov 2026 (clock of the harness) end on Friday 4 Dec 23:59 local.
	loc, _ := time.LoadLocation("America/Sao_Paulo")
	if got := v.Deadline.In(loc).Format("2006-01-02 15:04"); got != "2026-12-04 23:59" {
		t.Errorf("deadline %s, want 2026-12-04 23:59", got)
	}
	fw := v.Steps[len(v.Steps)-1]
	if fw.Kind != core.StepForwarded || fw.FromUnit != "PROT" || fw.ToUnit != "GTI" || fw.Visibility != core.Public ||
		fw.Text != "Encaminho à TI para verificar a impressora." {
		t.Errorf("forward step %+v", fw)
	}
	kinds := notificationKinds(res)
	if kinds[core.NotifyUnitNotice] != 2 || kinds[core.NotifyStatusUpdate] != 1 || kinds[core.NotifyCommandResult] != 1 {
		t.Errorf("notifications %+v: want unit notices to GTI (member + mailbox), one status update, one transcript", res.Notifications)
	}
	st := h.notificationData(core.NotifyStatusUpdate, cidada)
	if st["dispatch"] != "Encaminho à TI para verificar a impressora." || st["unit"] != "GTI" {
		t.Errorf("status update data %v", st)
	}
	// The citizen is told the deadline the forward set.
	if nd, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(st["new_deadline"])); !nd.Equal(*v.Deadline) {
		t.Errorf("status update names deadline %v, want the new one %s", st["new_deadline"], v.Deadline)
	}
	tr := h.notificationData(core.NotifyCommandResult, paula)
	if tr["applied"] != true || len(tr["lines"].([]any)) != 3 {
		t.Errorf("transcript %v", tr)
	}

	// Gustavo (GTI, now holding it) concludes, authenticated by DMARC on the plain address.
	res = h.ingest(mail(gustavo, service, "Re: [Protocolo "+num+"] Impressora não imprime", "#concluir\nToner trocado, impressora funcionando.", trusted))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("conclude: %+v", res)
	}
	v = h.show(num)
	if v.Status != core.StatusConcluded {
		t.Fatalf("status %s after #concluir", v.Status)
	}
	// OUTROS dispatches are private by default: the text goes on a private
	// dispatch step, the conclusion itself is public.
	last, text := v.Steps[len(v.Steps)-1], v.Steps[len(v.Steps)-2]
	if last.Kind != core.StepConcluded || last.Visibility != core.Public ||
		text.Kind != core.StepDispatch || text.Visibility != core.Private || text.Text != "Toner trocado, impressora funcionando." {
		t.Errorf("conclusion steps %+v, %+v", text, last)
	}

	// A command on a concluded protocol fails; #reabrir works.
	res = h.ingest(mail(gustavo, service, "Re: [Protocolo "+num+"]", "#prazo 3d", trusted))
	if tr := h.notificationData(core.NotifyCommandResult, gustavo); tr["applied"] != false {
		t.Errorf("#prazo on a concluded protocol applied: %v", tr)
	}
	res = h.ingest(mail(gustavo, service, "Re: [Protocolo "+num+"]", "#reabrir\nO problema voltou.", trusted))
	if v = h.show(num); v.Status != core.StatusOpen {
		t.Errorf("status %s after #reabrir", v.Status)
	}

	// The requester's view: what `show --json` lists as public.
	var public []string
	for _, s := range v.Steps {
		if s.Visibility == core.Public {
			public = append(public, string(s.Kind))
		}
	}
	if strings.Join(public, ",") != "opened,forwarded,concluded,reopened" {
		t.Errorf("public steps %v", public)
	}
}

func TestCommandsAllOrNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido.")
	res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"]",
		"#encaminhar GTI\n#prazo 31/02/2027\n#sobrestar\nTexto."))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("%+v", res)
	}
	v := h.show(num)
	if v.Unit != "PROT" || len(v.Steps) != 2 || v.Steps[1].Kind != core.StepNote || v.Steps[1].Visibility != core.Private {
		t.Errorf("a failing set changed the protocol or lost its text: unit %s, steps %+v", v.Unit, v.Steps)
	}
	tr := h.notificationData(core.NotifyCommandResult, paula)
	lines := tr["lines"].([]any)
	if tr["applied"] != false || len(lines) != 4 {
		t.Fatalf("transcript %v", tr)
	}
	want := []string{"não aplicado (outra linha tem erro): encaminhado para GTI", "não existe", "falta o motivo", "guardado como nota interna"}
	for i, l := range lines {
		m := l.(map[string]any)
		if (i == 3) != (m["ok"] == true) || !strings.Contains(m["result"].(string), want[i]) {
			t.Errorf("line %d: %v", i, m)
		}
	}
	for _, n := range res.Notifications {
		if n.Kind != core.NotifyCommandResult {
			t.Errorf("a refused set queued %s", n.Kind)
		}
	}
}

// TestCommandTypo: a mistyped command is marked ✘ with the nearest
// command suggested, the valid lines beside it are not marked done, and
// the dispatch is kept as a private note of the attempt (nothing applied,
// nobody else told).
func TestCommandTypo(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido.")
	before := h.show(num)
	res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"]",
		"#publico\n#praso 5du\n\nVistoria marcada para segunda-feira."))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("%+v", res)
	}
	tr := h.notificationData(core.NotifyCommandResult, paula)
	lines := tr["lines"].([]any)
	if tr["applied"] != false || len(lines) != 3 {
		t.Fatalf("transcript %v", tr)
	}
	for i, want := range []struct {
		ok     bool
		result string
	}{
		{false, "não aplicado"},
		{false, "você quis dizer #prazo?"},
		{true, "guardado como nota interna do protocolo " + num},
	} {
		m := lines[i].(map[string]any)
		if m["ok"] != want.ok || !strings.Contains(m["result"].(string), want.result) {
			t.Errorf("line %d: %v, want ok=%v and %q", i, m, want.ok, want.result)
		}
	}
	v := h.show(num)
	if fmt.Sprint(v.Deadline) != fmt.Sprint(before.Deadline) || len(v.Steps) != 2 {
		t.Fatalf("after a refused set: deadline %v, %d steps", v.Deadline, len(v.Steps))
	}
	note := v.Steps[1]
	if note.Kind != core.StepNote || note.Visibility != core.Private || note.Author != paula ||
		!strings.Contains(note.Text, "Vistoria marcada para segunda-feira.") {
		t.Errorf("the attempt's text is not a private note: %+v", note)
	}
	for _, n := range res.Notifications {
		if n.Kind != core.NotifyCommandResult {
			t.Errorf("a refused set queued %s", n.Kind)
		}
	}
	// The refused message's Message-ID threads to the protocol like any other.
	if h.count(`SELECT count(*) FROM message_index WHERE protocol_id = $1 AND direction = 'in'`, h.protocolID(num)) < 2 {
		t.Errorf("the refused message is not indexed on the protocol")
	}
}

func TestCommandsReplySuspendResumeTypeRequesterHelp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido com colega em cópia.")
	addr := h.staffAddress(num, paula)

	res := h.ingest(mail(paula, addr, "Re: x", "#responder\nPrezada, já estamos verificando."))
	if notificationKinds(res)[core.NotifyReply] != 1 {
		t.Fatalf("reply: %+v", res)
	}
	var to, cc []string
	if err := h.pool.QueryRow(context.Background(), `SELECT to_addrs, cc_addrs FROM notifications WHERE kind = 'reply'`).Scan(&to, &cc); err != nil {
		t.Fatal(err)
	}
	if strings.Join(to, ",") != cidada || strings.Join(cc, ",") != "colega@example.org" {
		t.Errorf("reply To %v Cc %v: want the requester, the Cc'd colleague in copy, never the service address", to, cc)
	}

	before := h.show(num).Deadline
	h.ingest(mail(paula, addr, "Re: x", "#sobrestar aguardando peça"))
	if v := h.show(num); v.Status != core.StatusSuspended {
		t.Fatalf("status %s after #sobrestar", v.Status)
	}
	// The harness clock is fixed, so the pause is zero and the deadline stays.
	h.ingest(mail(paula, addr, "Re: x", "#retomar"))
	if v := h.show(num); v.Status != core.StatusOpen || !v.Deadline.Equal(*before) {
		t.Errorf("after #retomar: %s deadline %v (was %v)", v.Status, v.Deadline, before)
	}

	res = h.ingest(mail(paula, addr, "Re: x", "#tipo suporte tecnico"))
	v := h.show(num)
	if v.Type != "SUPORTE" || v.Unit != "PROT" {
		t.Errorf("#tipo moved or failed: type %s unit %s", v.Type, v.Unit)
	}
	// The requester is told, like any other public change of the protocol.
	if kinds := notificationKinds(res); kinds[core.NotifyStatusUpdate] != 1 {
		t.Errorf("#tipo: notifications %+v, want a status update to the requester", res.Notifications)
	} else if st := h.notificationData(core.NotifyStatusUpdate, cidada); fmt.Sprint(st["events"]) != "[type_changed]" {
		t.Errorf("#tipo status update %v", st)
	}
	if tr := h.notificationData(core.NotifyCommandResult, paula); !strings.Contains(fmt.Sprint(tr["lines"]), "#encaminhar GTI") {
		t.Errorf("type change does not suggest the default unit: %v", tr)
	}

	h.ingest(mail(paula, addr, "Re: x", "#requerente\nNome: João da Silva\nCPF/CNPJ: 12.ABC.345/01DE-35\nE-mail: joao@example.org\n\nAtualizado."))
	v = h.show(num)
	if v.OtherRequester == nil || v.OtherRequester.Document != "12ABC34501DE35" || v.OtherRequester.Email != "joao@example.org" {
		t.Errorf("other requester %+v", v.OtherRequester)
	}
	h.ingest(mail(paula, addr, "Re: x", "#requerente\nNome: Fulano\nCPF: 123.456.789-00\n"))
	if tr := h.notificationData(core.NotifyCommandResult, paula); tr["applied"] != false {
		t.Errorf("an invalid CPF was accepted: %v", tr)
	}
	h.ingest(mail(paula, addr, "Re: x", "#ajuda"))
	if tr := h.notificationData(core.NotifyCommandResult, paula); !strings.Contains(fmt.Sprint(tr["help"]), "#encaminhar") {
		t.Errorf("#ajuda: %v", tr)
	}
}

// TestTypeChangeDispatchTakesNewTypeVisibility: "#tipo X" with a dispatch
// and no #publico/#privado gives the dispatch the new type's default
// visibility (docs/decisions.md): OUTROS is private by default, SUPORTE
// public, so the dispatch is public: on the lookup page, and in the status
// update of a forward in the same message.
func TestTypeChangeDispatchTakesNewTypeVisibility(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("O computador não liga.")
	res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: x", "#tipo suporte tecnico\n\nTrocaremos a fonte do computador."))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("#tipo: %+v", res)
	}
	v := h.show(num)
	last := v.Steps[len(v.Steps)-1]
	if v.Type != "SUPORTE" || last.Kind != core.StepDispatch || last.Visibility != core.Public {
		t.Errorf("type %s; dispatch step %s %s, want a public dispatch (SUPORTE's default)", v.Type, last.Kind, last.Visibility)
	}
	num2 := h.open("A impressora não liga.")
	h.ingest(mail(paula, h.staffAddress(num2, paula), "Re: x", "#tipo suporte tecnico\n#encaminhar GTI\n\nA TI vai trocar a impressora."))
	if fw := h.show(num2).Steps; fw[len(fw)-1].Kind != core.StepForwarded || fw[len(fw)-1].Visibility != core.Public {
		t.Errorf("forward with #tipo: %+v", fw[len(fw)-1])
	}
	if st := h.notificationData(core.NotifyStatusUpdate, cidada); st["dispatch"] != "A TI vai trocar a impressora." {
		t.Errorf("status update data %v: want the public dispatch", st)
	}
	// An explicit #privado still wins.
	h.ingest(mail(paula, h.staffAddress(num, paula), "Re: x", "#tipo OUTROS\n#privado\n\nVolta para outros."))
	if last := h.show(num).Steps; last[len(last)-1].Visibility != core.Private {
		t.Errorf("#privado with #tipo: %+v", last[len(last)-1])
	}
}

func TestStaffOpensProtocolOnBehalf(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := "#tipo SUPORTE\n#requerente\nNome: Maria Balcão\nCPF: 529.982.247-25\nE-mail: maria.balcao@example.org\n\nAtendimento presencial: computador não liga."
	res := h.ingest(mail(paula, service, "Computador não liga", body, trusted))
	if res.Outcome != core.OutcomeCommands || res.Protocol == "" {
		t.Fatalf("%+v", res)
	}
	v := h.show(res.Protocol)
	if v.Type != "SUPORTE" || v.Unit != "GTI" || v.OtherRequester == nil || v.OtherRequester.Email != "maria.balcao@example.org" {
		t.Errorf("protocol %+v", v)
	}
	for _, n := range res.Notifications {
		if n.Kind == core.NotifyAck && n.To[0] != "maria.balcao@example.org" {
			t.Errorf("ack to %v, want the requester", n.To)
		}
		if n.Kind == core.NotifyAck && n.To[0] == paula {
			t.Error("ack went to the staff member")
		}
	}
	if notificationKinds(res)[core.NotifyAck] != 1 {
		t.Errorf("notifications %+v", res.Notifications)
	}
	tr := h.notificationData(core.NotifyCommandResult, paula)
	if tr["number"] != res.Protocol || tr["access_key"] != v.AccessKey {
		t.Errorf("transcript lacks number and key: %v", tr)
	}
}

// TestRefusedOpeningOnBehalf: when a line fails after the opening on
// someone's behalf (here #responder, whose text the opening took), nothing
// is opened and the staff member still gets the transcript.
func TestRefusedOpeningOnBehalf(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := "#tipo SUPORTE\n#requerente\nNome: Maria Balcão\nE-mail: maria.balcao@example.org\n\n#responder\nAtendimento presencial."
	res := h.ingest(mail(paula, service, "Computador não liga", body, trusted))
	if res.Outcome != core.OutcomeCommands || res.Protocol != "" {
		t.Fatalf("%+v", res)
	}
	if kinds := notificationKinds(res); kinds[core.NotifyAck] != 0 || kinds[core.NotifyCommandResult] != 1 {
		t.Errorf("notifications %+v, want the transcript only", res.Notifications)
	}
	if tr := h.notificationData(core.NotifyCommandResult, paula); tr["applied"] != false {
		t.Errorf("transcript %v", tr)
	}
}

// TestContradictoryStatusCommands: #concluir with #reabrir, or #sobrestar
// with #retomar, in one message are refused (their effects would apply in
// a fixed order, not the written one).
func TestContradictoryStatusCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido.")
	for _, body := range []string{"#concluir\n#reabrir", "#sobrestar aguardando documento\n#retomar"} {
		h.ingest(mail(marta, service, "Re: [Protocolo "+num+"]", body, trusted))
		if v := h.show(num); v.Status != core.StatusOpen {
			t.Errorf("%q: status %s, want open (refused)", body, v.Status)
		}
		if tr := h.notificationData(core.NotifyCommandResult, marta); tr["applied"] != false {
			t.Errorf("%q applied: %v", body, tr)
		}
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido.")
	// Gustavo (GTI) may not command a protocol held by PROT.
	h.ingest(mail(gustavo, service, "Re: [Protocolo "+num+"]", "#concluir", trusted))
	if v := h.show(num); v.Status != core.StatusOpen {
		t.Error("staff of another unit concluded it")
	}
	if tr := h.notificationData(core.NotifyCommandResult, gustavo); tr["applied"] != false ||
		!strings.Contains(fmt.Sprint(tr["lines"]), "unidade que não é sua") {
		t.Errorf("transcript %v", tr)
	}
	// Marta (admin, DIR) may act anywhere.
	h.ingest(mail(marta, service, "Re: [Protocolo "+num+"]", "#encaminhar GTI", trusted))
	if v := h.show(num); v.Unit != "GTI" {
		t.Errorf("admin could not forward: unit %s", v.Unit)
	}
}

// TestMailFromOwnAliasesOpensNothing: mail from a type's address or a unit
// mailbox is Tramita's own (a loop): recorded, never answered, no protocol.
func TestMailFromOwnAliasesOpensNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, from := range []string{"suporte@orgao.example.gov.br", "TI@orgao.example.gov.br"} {
		res := h.ingest(mail(from, service, "Aviso automático", "Mensagem de teste."))
		if res.Outcome == core.OutcomeCreated || len(res.Notifications) != 0 {
			t.Errorf("from %s: %+v", from, res)
		}
	}
	if n := h.count(`SELECT count(*) FROM protocols`); n != 0 {
		t.Errorf("%d protocols opened by mail from our own addresses", n)
	}
}

// TestHelpAboutNoProtocol: an authenticated staff member's "#ajuda" sent
// to the service address (no protocol) gets the command table, opens
// nothing, and is not refused as an opening on someone's behalf without
// #requerente.
func TestHelpAboutNoProtocol(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingest(mail("Paula <"+paula+">", service, "Ajuda", "#ajuda", trusted))
	if res.Outcome != core.OutcomeCommands || res.Protocol != "" || res.Transcript == nil || !res.Transcript.Applied {
		t.Fatalf("#ajuda: %+v", res)
	}
	tr := h.notificationData(core.NotifyCommandResult, paula)
	if !strings.Contains(fmt.Sprint(tr["help"]), "#encaminhar") || tr["applied"] != true {
		t.Errorf("#ajuda transcript %v", tr)
	}
	if n := h.count(`SELECT count(*) FROM protocols`); n != 0 {
		t.Errorf("%d protocols opened by #ajuda", n)
	}
}
