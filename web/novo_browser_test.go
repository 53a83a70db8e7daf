package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/browsertest"
	"github.com/tramita/tramita/web"
)

// TestNovoBrowser fills in and submits the form in headless Chromium at
// phone and desktop widths (a file attached), confirms through the mailed
// link's button, and checks with axe-core that the home page, the form
// (empty and with errors), the confirmation page, the comprovante, the
// keyed protocol page, the message form and an error page have no WCAG 2.2
// A/AA violation. Screenshots: TRAMITA_SCREENSHOT_DIR.
func TestNovoBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	e := newIntakeEnv(t, web.Options{})
	srv := newTestServer(t, e)
	photo := filepath.Join(t.TempDir(), "vazamento.png")
	if err := os.WriteFile(photo, pngBytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Check(t, srv+"/", "inicio")
	b.Check(t, srv+"/novo", "novo")
	b.Check(t, srv+"/novo/confirmar/invalido", "link-invalido")

	for i, size := range browsertest.Sizes {
		email := size.Name + "@example.org"
		tab := b.Tab(t, size)
		browsertest.Open(t, tab, srv+"/novo")
		// First without the e-mail: the form comes back with its error.
		browsertest.Do(t, tab, "filling the form",
			chromedp.Click(chromedp.ID("tipo-VAZAMENTO")),
			chromedp.SendKeys(chromedp.ID("assunto"), "Vazamento na calçada"),
			chromedp.SendKeys(chromedp.ID("descricao"), "Água saindo da calçada desde ontem."),
			browsertest.SetFiles("#anexos", photo),
			chromedp.SendKeys(chromedp.ID("nome"), "Joana Cidadã"),
			chromedp.SendKeys(chromedp.ID("documento"), "12.ABC.345/01DE-35"),
			// The other requester typed, the box not ticked: asked, not dropped.
			chromedp.SendKeys(chromedp.ID("outro_nome"), "Condomínio Flores"),
		)
		e.clk.Add(5 * time.Second)
		submit(t, tab, "button[type=submit]")
		if text := browsertest.Text(t, tab); !strings.Contains(text, "Informe o e-mail") || !strings.Contains(text, "Remover vazamento.png") ||
			!strings.Contains(text, "Você preencheu dados de outra pessoa") {
			t.Fatalf("%s: no field error or kept file after a submit without e-mail:\n%s", size.Name, text)
		}
		b.Audit(t, tab, "novo with errors ("+size.Name+")")
		b.Screenshot(t, tab, "novo-erros-"+size.Name)
		browsertest.Do(t, tab, "typing the e-mail, ticking the other requester", chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.Click(chromedp.ID("outro")))
		submit(t, tab, "button[type=submit]")
		if text := browsertest.Text(t, tab); !strings.Contains(text, "Confirme o pedido pelo seu e-mail") {
			t.Fatalf("%s: after submit:\n%s", size.Name, text)
		}
		b.Audit(t, tab, "novo sent ("+size.Name+")")
		b.Screenshot(t, tab, "novo-enviado-"+size.Name)

		e.deliver(t)
		browsertest.Open(t, tab, srv+e.confirmLink(t, email, 1))
		b.Audit(t, tab, "confirmar ("+size.Name+")")
		b.Screenshot(t, tab, "confirmar-"+size.Name)
		submit(t, tab, "button[type=submit]")
		text := browsertest.Text(t, tab)
		m := regexp.MustCompile(`Protocolo (\d{5}\.\d{6}/\d{4}-\d{2})`).FindStringSubmatch(text)
		if m == nil || !strings.Contains(text, "Comprovante de recebimento") {
			t.Fatalf("%s: comprovante:\n%s", size.Name, text)
		}
		b.Audit(t, tab, "comprovante ("+size.Name+")")
		b.Screenshot(t, tab, "comprovante-"+size.Name)
		n, _ := core.ParseNumber(m[1])
		if n.Seq != i+1 {
			t.Errorf("%s: sequence %d", size.Name, n.Seq)
		}
		v, err := e.svc.Show(context.Background(), n)
		if err != nil || len(v.Steps) != 1 || len(v.Steps[0].Attachments) != 1 || v.Requester.Document != "12ABC34501DE35" {
			t.Fatalf("%s: protocol %+v %v", size.Name, v, err)
		}

		// The keyed page and its message form.
		browsertest.Follow(t, tab, "following the lookup link", chromedp.Click(chromedp.CSS(".comprovante a"), chromedp.NodeVisible))
		b.Audit(t, tab, "protocol with key ("+size.Name+")")
		b.Screenshot(t, tab, "protocolo-chave-"+size.Name)
		browsertest.Follow(t, tab, "opening the message form", chromedp.Click(chromedp.CSS(".mensagem-acao a"), chromedp.NodeVisible))
		b.Audit(t, tab, "mensagem ("+size.Name+")")
		b.Screenshot(t, tab, "mensagem-"+size.Name)
		browsertest.Do(t, tab, "writing a message", chromedp.SendKeys(chromedp.ID("texto"), "Segue mais uma foto."),
			browsertest.SetFiles("#anexos", photo))
		e.clk.Add(5 * time.Second)
		submit(t, tab, "button[type=submit]")
		if text := browsertest.Text(t, tab); !strings.Contains(text, "Mensagem enviada") {
			t.Fatalf("%s: after the message:\n%s", size.Name, text)
		}
		b.Audit(t, tab, "mensagem enviada ("+size.Name+")")
		if v, _ := e.svc.Show(context.Background(), n); len(v.Steps) != 2 || v.Steps[1].Kind != core.StepMessage {
			t.Errorf("%s: steps after the message: %+v", size.Name, v.Steps)
		}
	}
}

// submit clicks the button matched by css and waits for the next page.
func submit(t *testing.T, tab context.Context, css string) int64 {
	t.Helper()
	return browsertest.Follow(t, tab, "submitting", chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

// newTestServer serves e's site on a loopback port until t ends.
func newTestServer(t *testing.T, e *intakeEnv) string {
	t.Helper()
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	return srv.URL
}
