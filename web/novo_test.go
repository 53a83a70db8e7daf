package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// pdfBytes is a small PDF (sniffed as application/pdf).
var pdfBytes = []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

var numberRe = regexp.MustCompile(`Protocolo (\d{5}\.\d{6}/\d{4}-\d{2})`)

// TestNovoHappyPath: the form is filled in by a client without browser
// headers, a pending submission is stored (no number), the confirmation
// mail reaches the SMTP server, the link's GET changes nothing, its POST
// opens the protocol through the mail path with the requester, the other
// requester, the files, the type and its unit, and queues the ack (to
// both) and the unit notice; posting the link again changes nothing.
func TestNovoHappyPath(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()

	home := get(t, e.h, "/")
	if !strings.Contains(home.Body, `href="/novo"`) {
		t.Error("the home page does not link the form")
	}
	form := get(t, e.h, "/novo")
	for _, want := range []string{`name="tipo" id="tipo" value="LIGACAO"`, `name="assunto"`, `name="descricao"`, `name="anexos"`,
		`name="nome"`, `name="documento"`, `name="matricula"`, `name="telefone"`, `name="email"`, `name="outro"`,
		`name="outro_nome"`, `name="outro_documento"`, `name="outro_matricula"`, `name="outro_telefone"`, `name="outro_email"`,
		"Gerência de Operações", "Nº da ligação (Ligação nova)", "Lei 13.709/2018", `enctype="multipart/form-data"`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("GET /novo lacks %q", want)
		}
	}
	if strings.Contains(form.Body, `value="SEGUNDAVIA"`) {
		t.Error("a type with web: false is on the form")
	}
	tok := e.formToken(t, "/novo")
	png := pngBytes(t)
	res := e.post(t, "/novo", validForm(tok), []upload{{"foto.png", png}, {"laudo.pdf", pdfBytes}}, "")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "Confirme o pedido pelo seu e-mail") || !strings.Contains(res.Body, "j***@example.org") {
		t.Fatalf("POST /novo: %d\n%s", res.Status, res.Body)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM protocols`); n != 0 {
		t.Fatalf("%d protocols before confirmation", n)
	}
	e.deliver(t)
	link := e.confirmLink(t, "joana@example.org", 1)
	if text := mailText(t, e.smtp.to("joana@example.org")[0]); !strings.Contains(text, "Vazamento na calçada") ||
		!strings.Contains(text, "https://protocolo.example.gov.br"+link) {
		t.Errorf("confirmation mail:\n%s", text)
	}

	// A mail scanner fetching the link confirms nothing.
	for range 2 {
		page := get(t, e.h, link)
		if page.Status != http.StatusOK || !strings.Contains(page.Body, "Confirmar e abrir o protocolo") ||
			!strings.Contains(page.Body, `method="post" action="`+link+`"`) {
			t.Fatalf("GET link: %d\n%s", page.Status, page.Body)
		}
	}
	if n := count(t, e.svc, `SELECT count(*) FROM protocols`); n != 0 {
		t.Fatalf("GET of the link opened %d protocols", n)
	}

	res = postForm(t, e.h, link, url.Values{})
	m := numberRe.FindStringSubmatch(res.Body)
	if res.Status != http.StatusOK || m == nil || !strings.Contains(res.Body, "Comprovante de recebimento") {
		t.Fatalf("POST link: %d\n%s", res.Status, res.Body)
	}
	number := m[1]
	n, _ := core.ParseNumber(number)
	v, err := e.svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Body, v.AccessKey) || !strings.Contains(res.Body, "/p/"+n.Digits()+"?k="+v.AccessKey) {
		t.Error("the comprovante lacks the access key or the keyed link")
	}
	if v.Type != "VAZAMENTO" || v.Unit != "GOPE" || v.Subject != "Vazamento na calçada" {
		t.Errorf("protocol: type %s unit %s subject %q", v.Type, v.Unit, v.Subject)
	}
	wantReq := core.Person{Name: "Joana Cidadã", Email: "joana@example.org", Document: "52998224725", Account: "123456", Phone: "(82) 99999-1234"}
	if v.Requester == nil || *v.Requester != wantReq {
		t.Errorf("requester = %+v, want %+v", v.Requester, wantReq)
	}
	wantOther := core.Person{Name: "Condomínio Flores", Email: "sindico@example.org", Document: "12ABC34501DE35", Account: "998877", Phone: "82 3333-4444"}
	if v.OtherRequester == nil || *v.OtherRequester != wantOther {
		t.Errorf("other requester = %+v, want %+v", v.OtherRequester, wantOther)
	}
	if len(v.Steps) != 1 || v.Steps[0].Kind != core.StepOpened || !strings.Contains(v.Steps[0].Text, "desde ontem") ||
		len(v.Steps[0].Attachments) != 2 || v.Steps[0].Attachments[0].ContentType != "image/png" ||
		v.Steps[0].Attachments[1].Filename != "laudo.pdf" || v.Steps[0].Attachments[1].ContentType != "application/pdf" {
		t.Errorf("steps = %+v", v.Steps)
	}
	var kinds []string
	for _, nv := range v.Notifications {
		kinds = append(kinds, string(nv.Kind)+":"+strings.Join(nv.To, ","))
	}
	for _, want := range []string{"ack:joana@example.org", "ack:sindico@example.org"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("notifications %v lack %s", kinds, want)
		}
	}
	if !slices.ContainsFunc(kinds, func(k string) bool { return strings.HasPrefix(k, "unit_notice:") }) {
		t.Errorf("no unit notice in %v", kinds)
	}
	// The raw submission is kept as mail is, with source web.
	var source string
	var raw []byte
	if err := e.svc.Pool().QueryRow(ctx, `SELECT r.source, r.content FROM raw_messages r JOIN steps s ON s.raw_message_id = r.id
		JOIN protocols p ON p.id = s.protocol_id WHERE p.number = $1`, number).Scan(&source, &raw); err != nil {
		t.Fatal(err)
	}
	if source != "web" || !strings.Contains(string(raw), "X-Tramita-Source: web") || !strings.Contains(string(raw), "formulario.json") ||
		!strings.Contains(string(raw), "laudo.pdf") {
		t.Errorf("raw submission (source %s):\n%.600s", source, raw)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM web_uploads`); n != 0 {
		t.Errorf("%d uploads left after confirmation", n)
	}

	// Confirming again, or reloading, shows the same comprovante.
	again := postForm(t, e.h, link, url.Values{})
	if again.Status != http.StatusOK || !strings.Contains(again.Body, number) || !strings.Contains(again.Body, "já tinha sido confirmado") {
		t.Errorf("second POST: %d\n%s", again.Status, again.Body)
	}
	if page := get(t, e.h, link); !strings.Contains(page.Body, number) || strings.Contains(page.Body, "Confirmar e abrir") {
		t.Errorf("GET after confirmation: %d", page.Status)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols after two confirmations", n)
	}
	// The ack goes out by mail with the number and key.
	e.deliver(t)
	acks := e.smtp.to("joana@example.org")
	if len(acks) != 2 || !strings.Contains(mailText(t, acks[1]), number) || !strings.Contains(mailText(t, acks[1]), v.AccessKey) {
		t.Errorf("ack mail: %d mails", len(acks))
	}
	if len(e.smtp.to("sindico@example.org")) != 1 {
		t.Error("the other requester got no ack")
	}
}

// TestNovoDoubleSubmit: the same form posted twice stores one submission
// and sends one mail; its link opens one protocol.
func TestNovoDoubleSubmit(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	tok := e.formToken(t, "/novo")
	first := e.post(t, "/novo", validForm(tok), nil, "")
	second := e.post(t, "/novo", validForm(tok), nil, "")
	if first.Status != http.StatusOK || second.Status != http.StatusOK || !strings.Contains(second.Body, "já tinha sido recebido") {
		t.Fatalf("double submit: %d, %d\n%s", first.Status, second.Status, second.Body)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM web_submissions`); n != 1 {
		t.Errorf("%d submissions", n)
	}
	e.deliver(t)
	if got := len(e.smtp.to("joana@example.org")); got != 1 {
		t.Errorf("%d confirmation mails", got)
	}
}

// TestNovoNoNumberSpent: unconfirmed submissions take no number; the next
// confirmed one gets the next number after the last protocol.
func TestNovoNoNumberSpent(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()
	res, err := e.svc.Ingest(ctx, inbound(1, core.Address{Name: "Maria", Email: "maria@example.org"}, "protocolo@saneamento.example.gov.br",
		"Pelo e-mail", "Texto"))
	if err != nil {
		t.Fatal(err)
	}
	first, _ := core.ParseNumber(res.Protocol)
	var links []string
	for i, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		f := validForm(e.formToken(t, "/novo"))
		f.Set("email", email)
		if r := e.post(t, "/novo", f, nil, ""); r.Status != http.StatusOK {
			t.Fatalf("submission %d: %d", i, r.Status)
		}
	}
	e.deliver(t)
	for _, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		links = append(links, e.confirmLink(t, email, 1))
	}
	// Only the last one is confirmed.
	m := numberRe.FindStringSubmatch(postForm(t, e.h, links[2], url.Values{}).Body)
	if m == nil {
		t.Fatal("no number")
	}
	got, _ := core.ParseNumber(m[1])
	if got.Seq != first.Seq+1 {
		t.Errorf("confirmed submission got sequence %d, want %d", got.Seq, first.Seq+1)
	}
}

// TestNovoExpiredLink: after 24 h the link opens nothing (410) on GET or
// POST; after 7 days the purge deletes the submission and its files (the
// link is then unknown, 404), and purging again deletes nothing.
func TestNovoExpiredLink(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()
	if r := e.post(t, "/novo", validForm(e.formToken(t, "/novo")), []upload{{"laudo.pdf", pdfBytes}}, ""); r.Status != http.StatusOK {
		t.Fatalf("submit: %d", r.Status)
	}
	e.deliver(t)
	link := e.confirmLink(t, "joana@example.org", 1)
	e.clk.Add(core.WebConfirmTTL + time.Minute)
	if r := get(t, e.h, link); r.Status != http.StatusGone || !strings.Contains(r.Body, "Link expirado") {
		t.Errorf("GET expired link: %d", r.Status)
	}
	if r := postForm(t, e.h, link, url.Values{}); r.Status != http.StatusGone {
		t.Errorf("POST expired link: %d", r.Status)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM protocols`); n != 0 {
		t.Errorf("an expired link opened %d protocols", n)
	}
	if subs, files, err := e.svc.PurgeWebSubmissions(ctx, e.clk.Now()); err != nil || subs != 0 || files != 0 {
		t.Errorf("purge after 1 day: %d %d %v", subs, files, err)
	}
	e.clk.Add(core.WebPendingTTL)
	if subs, files, err := e.svc.PurgeWebSubmissions(ctx, e.clk.Now()); err != nil || subs != 1 || files != 1 {
		t.Errorf("purge after 8 days: %d %d %v", subs, files, err)
	}
	if subs, files, err := e.svc.PurgeWebSubmissions(ctx, e.clk.Now()); err != nil || subs != 0 || files != 0 {
		t.Errorf("second purge: %d %d %v", subs, files, err)
	}
	if r := get(t, e.h, link); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "Link inválido") {
		t.Errorf("GET purged link: %d", r.Status)
	}
	// An altered link is refused the same way.
	if r := get(t, e.h, link[:len(link)-2]+"xx"); r.Status != http.StatusNotFound {
		t.Errorf("altered link: %d", r.Status)
	}
}
