package staffweb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/tramita/tramita/internal/browsertest"
	"github.com/tramita/tramita/staffweb"
)

// TestBrowser signs in as Ana in headless Chromium, opens every page of the
// staff site at phone and desktop widths (axe-core: no WCAG 2.2 A/AA
// violation; screenshots kept in TRAMITA_SCREENSHOT_DIR), and acts on a
// protocol through the form.
func TestBrowser(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t, staffweb.Options{})
	if err := s.svc.SetStaffPassword(context.Background(), carla, pass); err != nil {
		t.Fatal(err)
	}
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação de água na Rua das Acácias", "Peço a ligação de água no imóvel novo.")
	s.open(t, 1, "ligacao@saneamento.example.gov.br", "Segunda via da conta", "Preciso da segunda via.")

	// The sign-in page, signed out.
	text := b.Check(t, s.srv.URL+"/gestao/entrar", "entrar")
	for _, w := range []string{"Receber um link por e-mail", "Senha e código", "Código do aplicativo autenticador"} {
		if !strings.Contains(text, w) {
			t.Errorf("entrar: %q missing", w)
		}
	}
	tab := b.Tab(t, browsertest.Desktop)
	browsertest.Open(t, tab, s.srv.URL+"/gestao/entrar")
	browsertest.Do(t, tab, "signing in",
		chromedp.SetValue(chromedp.ID("email"), ana),
		chromedp.SetValue(chromedp.ID("senha"), pass),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="t-senha"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`table.lista`)))
	if text := browsertest.Text(t, tab); !strings.Contains(text, "Caixa") || !strings.Contains(text, n.String()) {
		t.Fatalf("after sign-in: %s", text)
	}

	pages := []struct{ name, path, want string }{
		{"caixa", "/gestao", "não recebido"},
		{"prazos", "/gestao/prazos", "Vencendo / Vencidos"},
		{"sobrestados", "/gestao/sobrestados", "Nenhum protocolo sobrestado"},
		{"aguardando", "/gestao/aguardando", "Aguardando requerente"},
		{"busca", "/gestao/busca?q=acacias", "Rua das Acácias"},
		{"protocolo", "/gestao/p/" + n.Digits(), "Despachar"},
		{"mensagem", "/gestao/p/" + n.Digits() + "/mensagens/1", "Peço a ligação de água"},
		{"novo", "/gestao/novo", "Novo protocolo (balcão)"},
	}
	for _, p := range pages {
		if text := b.Check(t, s.srv.URL+p.path, p.name); !strings.Contains(text, p.want) {
			t.Errorf("%s: %q missing\n%s", p.name, p.want, text)
		}
	}

	// Act through the form: forward with a deadline and a public dispatch.
	tab = b.Tab(t, browsertest.Phone)
	browsertest.Open(t, tab, s.srv.URL+"/gestao/p/"+n.Digits())
	browsertest.Do(t, tab, "acting",
		chromedp.SetValue(chromedp.ID("encaminhar"), "GOPE"),
		chromedp.SetValue(chromedp.ID("prazo"), "5du"),
		chromedp.Click(chromedp.CSS(`input[name=visibilidade][value=publico]`)),
		chromedp.SetValue(chromedp.ID("despacho"), "Encaminho para vistoria do ramal."),
		chromedp.Click(chromedp.CSS(`form.acao button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.transcricao`)))
	text = browsertest.Text(t, tab)
	for _, w := range []string{"Comandos aplicados", "#encaminhar GOPE", "#prazo 5du", "#publico", "saiu das suas unidades"} {
		if !strings.Contains(text, w) {
			t.Errorf("transcript: %q missing\n%s", w, text)
		}
	}
	b.Audit(t, tab, "transcrição")
	b.Screenshot(t, tab, "transcricao-phone")
	v, err := s.svc.Show(context.Background(), n)
	if err != nil || v.Unit != "GOPE" || v.Deadline == nil {
		t.Errorf("after the form: unit %s deadline %v %v", v.Unit, v.Deadline, err)
	}

	// Saúde, as an admin (an admin signs in by password only with TOTP).
	key, err := s.svc.SetStaffTOTP(context.Background(), carla)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(key.Secret(), s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tab = b.Tab(t, browsertest.Desktop)
	browsertest.Open(t, tab, s.srv.URL+"/gestao/entrar")
	browsertest.Do(t, tab, "signing in as the admin",
		chromedp.SetValue(chromedp.ID("email"), carla),
		chromedp.SetValue(chromedp.ID("senha"), pass),
		chromedp.SetValue(chromedp.ID("codigo"), code),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="t-senha"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`h1`)))
	if text := b.Check(t, s.srv.URL+"/gestao/saude", "saude"); !strings.Contains(text, "Mensagens não processadas") {
		t.Errorf("saude: %s", text)
	}
}

// TestBrowserPasswordTOTPRequired: with staff_signin: password_totp the
// sign-in page (axe-core clean at both widths) offers no mailed link and
// marks the code required; in Chromium, a right password and a code for an
// account with no TOTP secret is refused with an explanation (403), then,
// once the secret is set, password and code sign in.
func TestBrowserPasswordTOTPRequired(t *testing.T) {
	t.Parallel()
	b := browsertest.New(t)
	s := newSite(t, staffweb.Options{})
	spec := sampleOrg(t)
	spec.Organization.StaffSignIn = "password_totp"
	if _, err := s.svc.ApplyOrg(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	text := b.Check(t, s.srv.URL+"/gestao/entrar", "entrar-password-totp")
	if strings.Contains(text, "Receber um link por e-mail") || !strings.Contains(text, "a organização exige o código de todos") {
		t.Errorf("entrar under password_totp: %s", text)
	}

	tab := b.Tab(t, browsertest.Phone)
	browsertest.Open(t, tab, s.srv.URL+"/gestao/entrar")
	required, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("codigo").required`))
	if err != nil || !required {
		t.Errorf("codigo required: %v %v", required, err)
	}
	status := browsertest.Follow(t, tab, "password and a code, no TOTP set",
		chromedp.SetValue(chromedp.ID("email"), ana),
		chromedp.SetValue(chromedp.ID("senha"), pass),
		chromedp.SetValue(chromedp.ID("codigo"), "123456"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="t-senha"] button`)))
	if text := browsertest.Text(t, tab); status != 403 || !strings.Contains(text, "ainda não foi configurado") {
		t.Errorf("no TOTP set: %d %s", status, text)
	}
	b.Audit(t, tab, "entrar refused")
	b.Screenshot(t, tab, "entrar-password-totp-refused-phone")

	key, err := s.svc.SetStaffTOTP(context.Background(), ana)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(key.Secret(), s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, tab, "password and code",
		chromedp.SetValue(chromedp.ID("email"), ana),
		chromedp.SetValue(chromedp.ID("senha"), pass),
		chromedp.SetValue(chromedp.ID("codigo"), code),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="t-senha"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/gestao/sair"]`)))
	if text := browsertest.Text(t, tab); !strings.Contains(text, "Caixa") || !strings.Contains(text, "Ana Souza") {
		t.Errorf("after password and code: %s", text)
	}
}
