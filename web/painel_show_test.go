package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// TestPainelServicosAvaliar: the painel shows the figures without personal
// data and offers CSV and JSON; the carta de serviços lists the types with
// their legal deadlines; the survey link's GET records nothing and its
// POST records once.
func TestPainelServicosAvaliar(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	ctx := context.Background()
	res, err := svc.Ingest(ctx, inbound(1, core.Address{Name: "Maria da Silva", Email: "maria@example.org"},
		"ouvidoria@saneamento.example.gov.br", "Atendimento ruim", "Fui mal atendida."))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	var id int64
	if err := svc.Pool().QueryRow(ctx, `SELECT id FROM protocols WHERE number = $1`, n.String()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, svc, web.Options{})

	page := get(t, h, "/painel?de=2026-01-01&ate=2026-12-31")
	if page.Status != http.StatusOK {
		t.Fatalf("painel: %d %s", page.Status, page.Body)
	}
	for _, want := range []string{"Painel de atendimento", "Ouvidoria — reclamação", "Ouvidoria", "março de 2026", "/painel.csv?", "/painel.json?"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("painel lacks %q", want)
		}
	}
	for _, never := range []string{"Maria", "maria@", "Atendimento ruim", n.String()} {
		if strings.Contains(page.Body, never) {
			t.Errorf("painel shows %q", never)
		}
	}
	if bad := get(t, h, "/painel?de=ontem"); bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "AAAA-MM-DD") {
		t.Errorf("bad date: %d", bad.Status)
	}
	csv := get(t, h, "/painel.csv?de=2026-01-01&ate=2026-12-31")
	if csv.Status != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.Body, "\ntotal,,Total,1,0,1,") || !strings.Contains(csv.Body, "tipo,RECLAMACAO,Ouvidoria — reclamação,1,") {
		t.Errorf("csv %d %s:\n%s", csv.Status, csv.Header.Get("Content-Type"), csv.Body)
	}
	js := get(t, h, "/painel.json?de=2026-01-01&ate=2026-12-31")
	var st core.Statistics
	if err := json.Unmarshal([]byte(js.Body), &st); err != nil || st.Total.Received != 1 || st.Total.InProgress != 1 {
		t.Errorf("json %v %+v", err, st.Total)
	}

	servicos := get(t, h, "/servicos")
	for _, want := range []string{"Carta de serviços", "Acesso à informação (LAI)", "20 dias corridos", "10 dias corridos",
		"Lei 12.527/2011, art. 11", "mailto:sic@saneamento.example.gov.br", "Ouvidoria — reclamação", "30 dias corridos"} {
		if !strings.Contains(servicos.Body, want) {
			t.Errorf("servicos lacks %q", want)
		}
	}

	// Each service names its own deadline: the legal one where the type
	// has it, else the type's own (deadline in org.yaml), never "sem
	// prazo" for a type that has one; a unit's internal deadline under a
	// legal one is not the citizen's.
	service := func(name string) string {
		for _, sec := range strings.Split(servicos.Body, `<section class="cartao servico"`)[1:] {
			if strings.Contains(sec, ">"+name+"</h2>") {
				return sec
			}
		}
		t.Fatalf("servicos lacks the service %q", name)
		return ""
	}
	for name, want := range map[string]string{"Ligação nova": "10 dias úteis", "Vazamento": "48 horas", "Outros": "5 dias úteis",
		"Ouvidoria — reclamação": "30 dias corridos"} {
		sec := service(name)
		if !strings.Contains(sec, want) || strings.Contains(sec, "sem prazo") || strings.Contains(sec, "20 dias corridos") {
			t.Errorf("servicos, %s: want %q as its deadline:\n%s", name, want, sec)
		}
	}

	token := svc.SurveyToken(id)
	if r := get(t, h, "/avaliar/"+token); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "ainda não foi concluído") {
		t.Errorf("survey of an open protocol: %d", r.Status)
	}
	if _, err := svc.Pool().Exec(ctx, `UPDATE protocols SET status = 'concluded', concluded_at = now(), result = 'procedente' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	form := get(t, h, "/avaliar/"+token)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `name="nota"`) || !strings.Contains(form.Body, "procedente") {
		t.Fatalf("survey form %d:\n%s", form.Status, form.Body)
	}
	if r := get(t, h, "/avaliar/"+token[:len(token)-2]+"aa"); r.Status != http.StatusNotFound {
		t.Errorf("tampered token: %d", r.Status)
	}
	if r := postForm(t, h, "/avaliar/"+token, url.Values{"nota": {"9"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "de 1 a 5") {
		t.Errorf("rating 9: %d", r.Status)
	}
	if r := postForm(t, h, "/avaliar/"+token, url.Values{"nota": {"4"}, "comentario": {"Resolveram."}}); r.Status != http.StatusOK ||
		!strings.Contains(r.Body, "Sua avaliação foi registrada") {
		t.Errorf("answer: %d %s", r.Status, r.Body)
	}
	if r := postForm(t, h, "/avaliar/"+token, url.Values{"nota": {"1"}}); !strings.Contains(r.Body, "já foi registrada") {
		t.Errorf("second answer: %d", r.Status)
	}
	var rating int
	if err := svc.Pool().QueryRow(ctx, `SELECT rating FROM surveys WHERE protocol_id = $1`, id).Scan(&rating); err != nil || rating != 4 {
		t.Errorf("stored rating %d %v", rating, err)
	}
}
