package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tramita/tramita/internal/browsertest"
	"github.com/tramita/tramita/web"
)

// TestBrowser opens the pages of a seeded protocol in headless Chromium at
// phone and desktop widths, keeps screenshots (TRAMITA_SCREENSHOT_DIR, or a
// temporary folder), checks the text the browser shows and that axe-core
// finds no WCAG 2.2 A/AA violation.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	f := newFixture(t)
	srv := httptest.NewServer(newHandler(t, f.svc, web.Options{}))
	defer srv.Close()

	pages := []struct {
		name    string
		path    string
		want    []string
		notWant []string
	}{
		{"home", "/", []string{"Consultar protocolo", "Número do protocolo", "Chave de acesso", "CPF ou CNPJ do requerente",
			"Consultar", "Companhia de Saneamento Exemplo"}, nil},
		{"protocol-key", "/p/" + f.number.Digits() + "?k=" + f.key, []string{f.number.String(), "Aberto", "Vazamento na Rua das Flores",
			"Gerência de Operações", "Equipe enviada ao local.", "Há um vazamento em frente ao número 120.", "ordem-de-serviço.pdf",
			"Trâmite interno", "Companhia de Saneamento Exemplo"}, []string{"SEGREDO", privateFile, "Maria", "Bruno"}},
		{"protocol-number", "/p/" + f.number.Digits(), []string{f.number.String(), "Aberto", "Ver despachos e arquivos", "Abertura",
			"Despacho", "Trâmite interno"}, []string{"Rua das Flores", "Equipe enviada", "SEGREDO", "croqui"}},
		{"invalid-number", "/p/" + wrongDigits(f.number)[:6], []string{"Número inválido"}, nil},
		{"not-found", "/p/" + unknownNumber, []string{"Protocolo não encontrado"}, nil},
	}
	for _, p := range pages {
		text := b.Check(t, srv.URL+p.path, p.name)
		for _, w := range p.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the browser does not show %q\n%s", p.name, w, text)
			}
		}
		for _, w := range p.notWant {
			if strings.Contains(text, w) {
				t.Errorf("%s: the browser shows %q", p.name, w)
			}
		}
	}
}
