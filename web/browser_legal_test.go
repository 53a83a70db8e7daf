package web_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/browsertest"
	"github.com/tramita/tramita/web"
)

// TestBrowserPainelServicosAvaliar opens /painel, /servicos and the survey
// page in headless Chromium at phone and desktop widths: axe-core finds no
// WCAG 2.2 A/AA violation, and answering the survey by keyboard-reachable
// controls records it.
func TestBrowserPainelServicosAvaliar(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	svc := newService(t)
	ctx := context.Background()
	for i, rcpt := range []string{"ouvidoria@saneamento.example.gov.br", "sic@saneamento.example.gov.br", "vazamento@saneamento.example.gov.br"} {
		if _, err := svc.Ingest(ctx, inbound(i+1, core.Address{Name: "Maria da Silva", Email: "maria@example.org"}, rcpt,
			"Pedido", "Texto do pedido.")); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	if err := svc.Pool().QueryRow(ctx, `UPDATE protocols SET status = 'concluded', concluded_at = opened_at + interval '12 days',
		result = 'procedente' WHERE id = (SELECT min(id) FROM protocols) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(t, svc, web.Options{}))
	defer srv.Close()

	for _, p := range []struct {
		name, path string
		want       []string
	}{
		{"painel", "/painel?de=2026-01-01&ate=2026-12-31", []string{"Painel de atendimento", "Recebidos", "Ouvidoria — reclamação",
			"Por mês de abertura", "planilha CSV"}},
		{"servicos", "/servicos", []string{"Carta de serviços", "Acesso à informação (LAI)", "20 dias corridos"}},
		{"avaliar", "/avaliar/" + svc.SurveyToken(id), []string{"Avaliação do atendimento", "Muito satisfeito", "Comentário"}},
	} {
		text := b.Check(t, srv.URL+p.path, p.name)
		for _, w := range p.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the browser does not show %q", p.name, w)
			}
		}
		if strings.Contains(text, "Maria") {
			t.Errorf("%s shows the requester's name", p.name)
		}
	}

	tab := b.Tab(t, browsertest.Phone)
	browsertest.Open(t, tab, srv.URL+"/avaliar/"+svc.SurveyToken(id))
	browsertest.Do(t, tab, "submitting without a rating",
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alerta")))
	b.Audit(t, tab, "survey with an error")
	b.Screenshot(t, tab, "avaliar-erro-phone")
	browsertest.Do(t, tab, "answering",
		chromedp.Click(chromedp.CSS("#nota-4")),
		chromedp.SendKeys(chromedp.CSS("#comentario"), "Resolveram rápido."),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".nota-ok")))
	b.Audit(t, tab, "survey answered")
	b.Screenshot(t, tab, "avaliar-enviado-phone")
	if text := browsertest.Text(t, tab); !strings.Contains(text, "Sua avaliação foi registrada") {
		t.Errorf("after answering: %s", text)
	}
}
