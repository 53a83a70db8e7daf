package staffweb_test

import (
	"context"
	"github.com/tramita/tramita/internal/showtest"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/staffweb"
)

// TestPagesKeepToThePermissionPredicate: a member of another unit cannot
// list, search, open, download or act on a protocol; an admin can.
func TestPagesKeepToThePermissionPredicate(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	if err := s.svc.SetStaffPassword(context.Background(), carla, pass); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SetStaffTOTP(context.Background(), carla); err != nil {
		t.Fatal(err)
	}
	gcom := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação de água", "Peço ligação de água na Rua das Acácias.")
	anaB := s.browser(t)
	anaB.signIn(ana)
	p := anaB.postFiles("/gestao/p/"+gcom.Digits(), url.Values{"comandos": {"#nota"}, "despacho": {"parecer interno"}},
		map[string]string{"parecer.txt": "conteúdo interno"})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Comandos aplicados") {
		t.Fatalf("Ana's note: %d", p.Status)
	}
	fileRE := regexp.MustCompile(`/gestao/p/\d+/anexos/\d+`)
	file := fileRE.FindString(p.Body)
	if file == "" {
		t.Fatal("no file link on the page")
	}
	if d := anaB.get(file); d.Status != http.StatusOK || d.Body != "conteúdo interno" ||
		!strings.HasPrefix(d.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(d.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("Ana's download: %d %q", d.Status, d.Header)
	}
	if d := anaB.get("/gestao/p/" + gcom.Digits() + "/mensagens/1/eml"); d.Status != http.StatusOK || !strings.Contains(d.Body, "Rua das Acácias") {
		t.Fatalf("Ana's raw message: %d", d.Status)
	}

	brunoB := s.browser(t)
	brunoB.signIn(bruno)
	for _, path := range []string{"/gestao/p/" + gcom.Digits(), file, "/gestao/p/" + gcom.Digits() + "/mensagens/1",
		"/gestao/p/" + gcom.Digits() + "/mensagens/1/eml"} {
		if d := brunoB.get(path); d.Status != http.StatusForbidden || strings.Contains(d.Body, "Acácias") || strings.Contains(d.Body, "conteúdo interno") ||
			strings.Contains(d.Body, "parecer interno") {
			t.Errorf("Bruno GET %s: %d", path, d.Status)
		}
	}
	if d := brunoB.post("/gestao/p/"+gcom.Digits(), url.Values{"comandos": {"#concluir"}}); d.Status != http.StatusForbidden {
		t.Errorf("Bruno acts: %d", d.Status)
	}
	for _, path := range []string{"/gestao", "/gestao/prazos", "/gestao/busca?q=agua", "/gestao/busca?q=" + gcom.Digits(),
		"/gestao/busca?q=joana.cidada%40example.org", "/gestao/busca?q=Joana"} {
		if d := brunoB.get(path); d.Status != http.StatusOK || strings.Contains(d.Body, gcom.String()) {
			t.Errorf("Bruno's %s shows %s (status %d)", path, gcom, d.Status)
		}
		if d := anaB.get(path); path != "/gestao/busca?q=Joana" && !strings.Contains(d.Body, gcom.String()) {
			t.Errorf("Ana's %s does not show %s", path, gcom)
		}
	}
	if d := brunoB.get("/gestao/saude"); d.Status != http.StatusForbidden {
		t.Errorf("Bruno's Saúde: %d", d.Status)
	}
	v, err := s.svc.Show(context.Background(), gcom)
	if err != nil || v.Status != core.StatusOpen {
		t.Fatalf("status %v %v", v.Status, err)
	}
}

// TestActionOnThePageEqualsMailReply: forward with a deadline and a public
// dispatch, once with the page's structured controls and once by a mail
// reply with a signed staff token: the same steps, notifications and
// transcript (show --json compared).
func TestActionOnThePageEqualsMailReply(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	ctx := context.Background()
	dispatch := "Encaminho para vistoria do ramal."
	byMail := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação A", "texto")
	byPage := s.open(t, 1, "ligacao@saneamento.example.gov.br", "Ligação A", "texto")

	st, err := s.svc.StaffByEmail(ctx, ana)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.svc.ProtocolByNumber(ctx, byMail)
	if err != nil {
		t.Fatal(err)
	}
	text := "#encaminhar GOPE\n#prazo 5du\n#publico\n\n" + dispatch
	mailRes, err := s.svc.Ingest(ctx, core.Inbound{Raw: []byte("From: " + ana + "\r\nSubject: Re: Ligação A\r\n\r\n" + text + "\r\n"),
		MessageID: "resposta-ana@saneamento.example.gov.br", Subject: "Ligação A", From: core.Address{Name: "Ana Souza", Email: ana},
		Class: core.ClassNormal, Text: text, CommandText: text, FullText: text, Match: core.Match{ProtocolID: ref.ID, StaffID: st.ID, Rule: "token"}})
	if err != nil || mailRes.Transcript == nil {
		t.Fatalf("mail reply: %v %+v", err, mailRes)
	}

	b := s.browser(t)
	b.signIn(ana)
	p := b.post("/gestao/p/"+byPage.Digits(), url.Values{"encaminhar": {"GOPE"}, "prazo": {"5du"}, "visibilidade": {"publico"},
		"despacho": {dispatch}, "chave": {"k1"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Comandos aplicados") || !strings.Contains(p.Body, "saiu das suas unidades") {
		t.Fatalf("page action: %d %s", p.Status, p.Body)
	}
	for _, l := range mailRes.Transcript.Lines {
		if !strings.Contains(p.Body, l.Line) || !strings.Contains(p.Body, l.Result) {
			t.Errorf("transcript line %q — %q missing on the page", l.Line, l.Result)
		}
	}
	// The same submit again (double click): recorded once.
	if p := b.post("/gestao/p/"+byPage.Digits(), url.Values{"encaminhar": {"GOPE"}, "prazo": {"5du"}, "visibilidade": {"publico"},
		"despacho": {dispatch}, "chave": {"k1"}}); p.Status != http.StatusForbidden {
		t.Errorf("double submit: %d", p.Status)
	}
	mv, err := s.svc.Show(ctx, byMail)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := s.svc.Show(ctx, byPage)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := showtest.Comparable(t, wv), showtest.Comparable(t, mv); a != b {
		t.Errorf("show --json differs\npage: %s\nmail: %s", a, b)
	}
	if len(wv.Steps) != 2 || wv.Steps[1].Kind != core.StepForwarded || wv.Unit != "GOPE" || wv.Deadline == nil {
		t.Errorf("steps %+v", wv.Steps)
	}
	// The command_result transcript mail goes to Ana either way.
	var results int
	for _, n := range wv.Notifications {
		if n.Kind == core.NotifyCommandResult && len(n.To) == 1 && n.To[0] == ana {
			results++
		}
	}
	if results != 1 {
		t.Errorf("%d command results to Ana", results)
	}
}

func TestRefusedCommandsKeepTheFormAndChangeNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	b := s.browser(t)
	b.signIn(ana)
	p := b.post("/gestao/p/"+n.Digits(), url.Values{"comandos": {"#encaminhar GOPE\n#prazo amanhã cedo"}, "despacho": {"meu despacho"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Nenhum comando foi aplicado") || !strings.Contains(p.Body, "meu despacho") {
		t.Fatalf("refused: %d", p.Status)
	}
	// As for a mail reply, nothing is applied and the text is kept as a
	// private note of the attempt.
	v, _ := s.svc.Show(context.Background(), n)
	if v.Unit != "GCOM" || len(v.Steps) != 2 || v.Steps[1].Kind != core.StepNote || v.Steps[1].Visibility != core.Private {
		t.Errorf("a refused action changed the protocol: unit %s, steps %+v", v.Unit, v.Steps)
	}
}

func TestReceiptAndBalcao(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	b := s.browser(t)
	b.signIn(ana)
	if p := b.get("/gestao"); !strings.Contains(p.Body, `class="nao-lido"`) {
		t.Error("new protocol not unread in the Caixa")
	}
	if p := b.get("/gestao/p/" + n.Digits()); !strings.Contains(p.Body, "por Ana Souza em") {
		t.Error("no receipt on the protocol page")
	}
	if p := b.get("/gestao"); strings.Contains(p.Body, `class="nao-lido"`) {
		t.Error("still unread after the first opening")
	}
	// A number typed with its slash finds the page.
	if p := b.get("/gestao/p/" + url.PathEscape(strings.Split(n.String(), "/")[0]) + "/" + strings.Split(n.String(), "/")[1]); p.Status != http.StatusMovedPermanently {
		t.Errorf("number with slash: %d", p.Status)
	}
	p := b.post("/gestao/novo", url.Values{"tipo": {"LIGACAO"}, "assunto": {"Pedido no balcão"}, "nome": {"Maria da Silva"},
		"documento": {"529.982.247-25"}, "email": {"maria@example.org"}, "despacho": {"Atendimento presencial."}, "chave": {"b1"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Protocolo aberto") {
		t.Fatalf("balcão: %d %s", p.Status, p.Body)
	}
	opened := numberInPage.FindString(p.Body[strings.Index(p.Body, "Protocolo aberto"):])
	on, err := core.ParseNumber(opened)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.svc.Show(context.Background(), on)
	if err != nil || v.OtherRequester == nil || v.OtherRequester.Document != "52998224725" || v.Subject != "Pedido no balcão" {
		t.Fatalf("balcão protocol: %+v %v", v.OtherRequester, err)
	}
	if p := b.get("/gestao/busca?q=52998224725"); !strings.Contains(p.Body, opened) {
		t.Error("search by CPF does not find the balcão protocol")
	}
	if p := b.post("/gestao/novo", url.Values{"tipo": {""}, "nome": {""}, "documento": {"111.111.111-12"}}); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.Body, "CPF ou CNPJ inválido") || !strings.Contains(p.Body, `aria-invalid="true"`) {
		t.Errorf("invalid balcão form: %d", p.Status)
	}
}

// numberInPage finds a protocol number on a page.
var numberInPage = regexp.MustCompile(`23037\.\d{6}/\d{4}-\d{2}`)

// TestRefusedActionIsNotRecordedTwice: a refused action's text is kept as a
// private note of the attempt (as for a mail reply); the form then comes
// back with the commands to correct, the despacho empty and a link to the
// note, so sending the corrected form as it came back records the text
// once, not once in the note and again in the dispatch.
func TestRefusedActionIsNotRecordedTwice(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	b := s.browser(t)
	b.signIn(ana)
	const dispatch = "Favor verificar o hidrômetro."
	p := b.post("/gestao/p/"+n.Digits(), url.Values{"comandos": {"#encaminhar GOPE\n#prazo amanhã cedo"}, "despacho": {dispatch}, "chave": {"k1"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("refused: %d", p.Status)
	}
	field := func(body, name string) string {
		m := regexp.MustCompile(`<textarea id="` + name + `" name="` + name + `"[^>]*>([^<]*)</textarea>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no textarea %s", name)
		}
		return html.UnescapeString(m[1])
	}
	commands, again := field(p.Body, "comandos"), field(p.Body, "despacho")
	if !strings.Contains(commands, "#prazo amanhã cedo") {
		t.Errorf("the commands to correct were not given back: %q", commands)
	}
	if again != "" {
		t.Errorf("the despacho was offered again (%q) though it is kept in the note", again)
	}
	if !strings.Contains(p.Body, `href="#passo-2"`) || !strings.Contains(p.Body, `id="passo-2"`) {
		t.Error("no link from the refusal to the note that keeps the text")
	}
	p = b.post("/gestao/p/"+n.Digits(), url.Values{"comandos": {strings.Replace(commands, "amanhã cedo", "5du", 1)}, "despacho": {again},
		"chave": {"k2"}})
	if p.Status != http.StatusOK {
		t.Fatalf("corrected: %d", p.Status)
	}
	v, _ := s.svc.Show(context.Background(), n)
	times := 0
	for _, st := range v.Steps {
		times += strings.Count(st.Text, dispatch)
	}
	if times != 1 || v.Unit != "GOPE" {
		t.Errorf("the text is on the protocol %d times (want 1); unit %s", times, v.Unit)
	}
}

// TestDownloadNameIsSafe: the staff site names a downloaded file as the
// public site does (webkit.ContentDisposition): a right-to-left override
// that would show "parecer\u202Efdp.exe" as "parecerexe.pdf" is dropped,
// with an ASCII fallback and the RFC 8187 UTF-8 name.
func TestDownloadNameIsSafe(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	b := s.browser(t)
	b.signIn(ana)
	p := b.postFiles("/gestao/p/"+n.Digits(), url.Values{"comandos": {"#nota"}, "despacho": {"parecer"}},
		map[string]string{"parecer\u202Efdp.exe": "conteúdo"})
	file := regexp.MustCompile(`/gestao/p/\d+/anexos/\d+`).FindString(p.Body)
	if file == "" {
		t.Fatalf("no file link: %d", p.Status)
	}
	d := b.get(file)
	if got, want := d.Header.Get("Content-Disposition"), `attachment; filename="parecerfdp.exe"; filename*=UTF-8''parecerfdp.exe`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
}

// countingService counts the staff site's reads of the organization.
type countingService struct {
	staffweb.Service
	orgReads atomic.Int64
}

func (c *countingService) Organization(ctx context.Context) (core.Organization, error) {
	c.orgReads.Add(1)
	return c.Service.Organization(ctx)
}

// TestPagesShareTheOrganizationCache: a signed-in member's pages take the
// organization's name and time zone from the cache both sites share
// (webkit.OrgCache), not from a database read per page.
func TestPagesShareTheOrganizationCache(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	counted := &countingService{Service: s.svc}
	h, err := staffweb.NewServer(context.Background(), counted, staffweb.Options{Logger: quietLog, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := (&site{svc: s.svc, clock: s.clock, srv: srv, spec: s.spec}).browser(t)
	b.signIn(ana)
	counted.orgReads.Store(0)
	for _, path := range []string{"/gestao", "/gestao", "/gestao/busca?q=liga%C3%A7%C3%A3o&de=2026-01-01", "/gestao/p/" + n.Digits()} {
		if p := b.get(path); p.Status != http.StatusOK || !strings.Contains(p.Body, "Companhia de Saneamento Exemplo") {
			t.Fatalf("%s: %d", path, p.Status)
		}
	}
	if got := counted.orgReads.Load(); got > 1 {
		t.Errorf("%d reads of the organization for 4 pages, want at most 1 (the cache's first)", got)
	}
}
