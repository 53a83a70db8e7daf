package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// TestMessageForm: the keyed page links "Enviar mensagem / complementar";
// the form needs the key; a post appends a public message step with the
// file exactly as a mail reply does, the holding unit told; the same form
// posted twice appends once.
func TestMessageForm(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()
	n, key := e.openByMail(t)
	page := get(t, e.h, "/p/"+n.Digits()+"?k="+key)
	formURL := "/p/" + n.Digits() + "/mensagem?k=" + key
	if !strings.Contains(page.Body, "Enviar mensagem / complementar") || !strings.Contains(page.Body, formURL) {
		t.Fatal("the keyed page does not link the message form")
	}
	if page := get(t, e.h, "/p/"+n.Digits()); strings.Contains(page.Body, "/mensagem") {
		t.Error("the page without key links the message form")
	}
	if r := get(t, e.h, "/p/"+n.Digits()+"/mensagem?k="+typo(key)); r.Status != http.StatusNotFound {
		t.Errorf("form with a wrong key: %d", r.Status)
	}
	tok := e.formToken(t, formURL)
	post := url.Values{"form": {tok}, "k": {key}, "texto": {"Segue a foto do hidrômetro."}}
	if r := e.post(t, "/p/"+n.Digits()+"/mensagem", url.Values{"form": {tok}, "k": {typo(key)}, "texto": {"x"}}, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("post with a wrong key: %d", r.Status)
	}
	empty := url.Values{"form": {tok}, "k": {key}}
	if r := e.post(t, "/p/"+n.Digits()+"/mensagem", empty, nil, ""); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Escreva a mensagem ou anexe um arquivo.") {
		t.Errorf("empty message: %d", r.Status)
	}
	for range 2 {
		r := e.post(t, "/p/"+n.Digits()+"/mensagem", post, []upload{{"hidrometro.png", pngBytes(t)}}, "")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Mensagem enviada") {
			t.Fatalf("post: %d\n%s", r.Status, r.Body)
		}
	}
	v, _ := e.svc.Show(ctx, n)
	if len(v.Steps) != 2 {
		t.Fatalf("%d steps, want 2 (one message for two posts of the same form)", len(v.Steps))
	}
	st := v.Steps[1]
	if st.Kind != core.StepMessage || st.Visibility != core.Public || st.Author != "maria@example.org" ||
		st.Text != "Segue a foto do hidrômetro." || len(st.Attachments) != 1 || st.Attachments[0].Filename != "hidrometro.png" {
		t.Errorf("message step = %+v", st)
	}
	unitTold := false
	for _, nv := range v.Notifications {
		unitTold = unitTold || nv.Kind == core.NotifyRequesterMessage
	}
	if !unitTold {
		t.Error("the holding unit was not told")
	}
}

// TestFormAndMailSameProtocol: one request sent by mail and through the
// form gives the same `show --json` but for what belongs to each door
// (number, key, Message-IDs) and the details only the form carries.
func TestFormAndMailSameProtocol(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()
	const subject, text = "Vazamento na calçada", "Há água saindo da calçada em frente ao número 120 desde ontem."
	png := pngBytes(t)
	mailIn := inbound(1, core.Address{Name: "Joana Cidadã", Email: "joana@example.org"}, "vazamento@saneamento.example.gov.br", subject, text)
	mailIn.Attachments = []core.InboundAttachment{{Filename: "foto.png", ContentType: "image/png", Data: png}}
	res, err := e.svc.Ingest(ctx, mailIn)
	if err != nil {
		t.Fatal(err)
	}
	byMail, _ := core.ParseNumber(res.Protocol)

	f := url.Values{"form": {e.formToken(t, "/novo")}, "tipo": {"VAZAMENTO"}, "assunto": {subject}, "descricao": {text},
		"nome": {"Joana Cidadã"}, "email": {"joana@example.org"}}
	if r := e.post(t, "/novo", f, []upload{{"foto.png", png}}, ""); r.Status != http.StatusOK {
		t.Fatalf("form: %d", r.Status)
	}
	e.deliver(t)
	m := numberRe.FindStringSubmatch(postForm(t, e.h, e.confirmLink(t, "joana@example.org", 1), url.Values{}).Body)
	if m == nil {
		t.Fatal("no number")
	}
	byForm, _ := core.ParseNumber(m[1])
	a, err := e.svc.Show(ctx, byMail)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Show(ctx, byForm)
	if err != nil {
		t.Fatal(err)
	}
	// Times are kept as offsets from the opening: the form was sent
	// seconds after the mail.
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	normalize := func(v *core.ProtocolView) {
		rel := func(t time.Time) time.Time { return epoch.Add(t.Sub(v.OpenedAt)) }
		if v.Deadline != nil {
			d := rel(*v.Deadline)
			v.Deadline = &d
		}
		v.Number, v.AccessKey = "", ""
		v.UpdatedAt = rel(v.UpdatedAt)
		for i := range v.Steps {
			v.Steps[i].At = rel(v.Steps[i].At)
			if d := v.Steps[i].Deadline; d != nil {
				r := rel(*d)
				v.Steps[i].Deadline = &r
			}
			for j := range v.Steps[i].Attachments {
				v.Steps[i].Attachments[j].ID = 0
			}
		}
		for i := range v.Notifications {
			v.Notifications[i].MessageID = ""
			v.Notifications[i].Status = ""
		}
		v.OpenedAt = epoch
	}
	normalize(&a)
	normalize(&b)
	ja, _ := jsonIndent(a)
	jb, _ := jsonIndent(b)
	if ja != jb {
		al, bl := strings.Split(ja, "\n"), strings.Split(jb, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Errorf("show --json differs between mail and form at line %d:\nmail: %s\nform: %s", i+1, al[i], bl[i])
				break
			}
		}
		t.Logf("mail:\n%s\nform:\n%s", ja, jb)
	}
}

// openByMail opens a protocol by mail (type VAZAMENTO, from Maria) and
// returns its number and access key.
func (e *intakeEnv) openByMail(t *testing.T) (core.Number, string) {
	t.Helper()
	ctx := context.Background()
	res, err := e.svc.Ingest(ctx, inbound(1, core.Address{Name: "Maria", Email: "maria@example.org"}, "vazamento@saneamento.example.gov.br",
		"Vazamento", "Texto"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	v, _ := e.svc.Show(ctx, n)
	return n, v.AccessKey
}
