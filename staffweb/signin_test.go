package staffweb_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/staffweb"
)

func TestSignInWithPasswordAndTOTP(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	b := s.browser(t)
	if p := b.get("/gestao"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/gestao/entrar") {
		t.Fatalf("signed out: %d %s", p.Status, p.Location)
	}
	if p := b.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {"errada"}}); p.Status != http.StatusUnauthorized || b.cookie != "" {
		t.Fatalf("wrong password: %d", p.Status)
	}
	b.signIn(ana)
	if p := b.get("/gestao"); p.Status != http.StatusOK || !strings.Contains(p.Body, "Ana Souza") {
		t.Fatalf("Caixa: %d", p.Status)
	}
	// With TOTP set, the code is required.
	key, err := s.svc.SetStaffTOTP(context.Background(), ana)
	if err != nil {
		t.Fatal(err)
	}
	b2 := s.browser(t)
	if p := b2.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}}); p.Status != http.StatusUnauthorized ||
		!strings.Contains(p.Body, "código de 6 dígitos") {
		t.Fatalf("without code: %d", p.Status)
	}
	code, _ := totp.GenerateCode(key.Secret(), s.clock.Now())
	if p := b2.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}, "codigo": {code}}); p.Status != http.StatusSeeOther || b2.cookie == "" {
		t.Fatalf("with code: %d", p.Status)
	}
	// Sign-out ends the session on the server: the old cookie is worthless.
	old := b.cookie
	if p := b.post("/gestao/sair", nil); p.Status != http.StatusSeeOther || b.cookie != "" {
		t.Fatalf("sign out: %d", p.Status)
	}
	b.cookie = old
	if p := b.get("/gestao"); p.Status != http.StatusSeeOther {
		t.Errorf("after sign-out the old cookie still works: %d", p.Status)
	}
}

func TestWrongPasswordsAreThrottled(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	b := s.browser(t)
	for range core.MaxFailsAccount {
		b.post("/gestao/entrar", url.Values{"email": {bruno}, "senha": {"chute"}})
	}
	p := b.post("/gestao/entrar", url.Values{"email": {bruno}, "senha": {pass}})
	if p.Status != http.StatusTooManyRequests || b.cookie != "" || p.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after %d failures: %d", core.MaxFailsAccount, p.Status)
	}
	s.clock.Add(core.ThrottleWindow + time.Second)
	b.signIn(bruno)
}

func TestSignInLinkGETShowsButtonPOSTSignsIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{BaseURL: "https://protocolo.example.gov.br/"})
	b := s.browser(t)
	if p := b.post("/gestao/entrar/link", url.Values{"email": {bruno}}); p.Status != http.StatusSeeOther {
		t.Fatalf("link request: %d", p.Status)
	}
	// Same answer for an unknown address.
	if p := b.post("/gestao/entrar/link", url.Values{"email": {"ninguem@example.org"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("unknown address: %d", p.Status)
	}
	var link string
	if err := s.svc.Pool().QueryRow(context.Background(), `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link, "https://protocolo.example.gov.br")
	if !strings.HasPrefix(path, "/gestao/entrar/link/") {
		t.Fatalf("link %q", link)
	}
	// A mail scanner's GET signs nobody in, and does not use the link up.
	for range 2 {
		if p := b.get(path); p.Status != http.StatusOK || b.cookie != "" || !strings.Contains(p.Body, `<button class="botao" type="submit">Entrar</button>`) {
			t.Fatalf("GET link: %d, cookie %q", p.Status, b.cookie)
		}
	}
	if p := b.post(path, nil); p.Status != http.StatusSeeOther || b.cookie == "" {
		t.Fatalf("POST link: %d", p.Status)
	}
	if p := b.get("/gestao"); !strings.Contains(p.Body, "Bruno Lima") {
		t.Fatalf("not signed in as Bruno")
	}
	other := s.browser(t)
	if p := other.post(path, nil); p.Status != http.StatusGone || other.cookie != "" {
		t.Errorf("second use of the link: %d", p.Status)
	}
}

func TestSignInWithOIDC(t *testing.T) {
	t.Parallel()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	cfg := m.Config()
	keys, _ := core.ParseKeyring("1:oidc-cookie-secret-long-enough")
	// The callback needs the site's address: the test server's, known once
	// it runs, so the site is built with a placeholder and the redirect URL
	// is the one mockoidc sends the browser back to.
	oc := &staffweb.OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Keys: keys,
		RedirectURL: "http://placeholder/gestao/entrar/oidc/retorno"}
	s := newSite(t, staffweb.Options{OIDC: oc, Now: time.Now})

	signIn := func(user *mockoidc.MockUser) (*browser, string) {
		m.QueueUser(user)
		b := s.browser(t)
		p := b.get("/gestao/entrar/oidc")
		if p.Status != http.StatusFound {
			t.Fatalf("start: %d", p.Status)
		}
		flow := p.Header.Values("Set-Cookie")
		// The issuer authenticates the queued user and redirects back.
		res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(p.Location)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		back, err := url.Parse(res.Header.Get("Location"))
		if err != nil || back.Query().Get("code") == "" {
			t.Fatalf("issuer answered %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/gestao/entrar/oidc/retorno?"+back.RawQuery, nil)
		for _, c := range flow {
			if hc, err := http.ParseSetCookie(c); err == nil {
				req.AddCookie(hc)
			}
		}
		p = b.do(req)
		return b, p.Location
	}
	b, loc := signIn(&mockoidc.MockUser{Subject: "1", Email: carla, EmailVerified: true, PreferredUsername: "carla"})
	if loc != "/gestao" || b.cookie == "" {
		t.Fatalf("verified staff e-mail: redirected to %q", loc)
	}
	if p := b.get("/gestao/saude"); p.Status != http.StatusOK {
		t.Errorf("admin's Saúde: %d", p.Status)
	}
	for _, u := range []*mockoidc.MockUser{
		{Subject: "2", Email: carla, EmailVerified: false},
		{Subject: "3", Email: "estranho@example.org", EmailVerified: true},
	} {
		if b, loc := signIn(u); b.cookie != "" || !strings.Contains(loc, "aviso=oidc") {
			t.Errorf("%s verified=%v: signed in (%q)", u.Email, u.EmailVerified, loc)
		}
	}
	var methods []string
	rows, _ := s.svc.Pool().Query(context.Background(), `SELECT event || ':' || method FROM staff_signin_audit ORDER BY id`)
	for rows.Next() {
		var m string
		_ = rows.Scan(&m)
		methods = append(methods, m)
	}
	rows.Close()
	if !slices.Contains(methods, "signin:oidc") || !slices.Contains(methods, "failure:oidc") {
		t.Errorf("audit = %v", methods)
	}
}

func TestSessionIdleAbsoluteAndDeactivation(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	b := s.browser(t)
	b.signIn(bruno)
	s.clock.Add(core.SessionIdle - time.Minute)
	if p := b.get("/gestao"); p.Status != http.StatusOK {
		t.Fatalf("before idle timeout: %d", p.Status)
	}
	s.clock.Add(core.SessionIdle)
	if p := b.get("/gestao"); p.Status != http.StatusSeeOther {
		t.Fatalf("after idle timeout: %d", p.Status)
	}
	b.signIn(bruno)
	// org apply without Bruno ends his session at once.
	spec := sampleOrg(t)
	for i, m := range spec.Staff {
		if m.Email == bruno {
			spec.Staff = slices.Delete(spec.Staff, i, i+1)
			break
		}
	}
	if _, err := s.svc.ApplyOrg(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/gestao"); p.Status != http.StatusSeeOther {
		t.Fatalf("deactivated: %d", p.Status)
	}
	if p := b.post("/gestao/entrar", url.Values{"email": {bruno}, "senha": {pass}}); p.Status != http.StatusUnauthorized {
		t.Errorf("deactivated staff signs in again: %d", p.Status)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	n := s.open(t, 0, "ligacao@saneamento.example.gov.br", "Ligação", "texto")
	b := s.browser(t)
	b.signIn(ana)
	for _, path := range []string{"/gestao/p/" + n.Digits(), "/gestao/sair", "/gestao/sair/todas", "/gestao/entrar", "/gestao/novo"} {
		req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader("comandos=%23concluir&despacho=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://atacante.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if p := b.do(req); p.Status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d", path, p.Status)
		}
	}
	v, err := s.svc.Show(context.Background(), n)
	if err != nil || v.Status != core.StatusOpen || len(v.Steps) != 1 {
		t.Errorf("a refused POST changed the protocol: %v %v", v.Status, err)
	}
	if p := b.get("/gestao"); p.Status != http.StatusOK {
		t.Errorf("the refused sign-out ended the session: %d", p.Status)
	}
}

// TestSignInPolicyPasswordTOTP: under staff_signin: password_totp the
// password alone is refused with 403 and an explanation, the link form is
// gone and POST /gestao/entrar/link mails nothing (the answer looks the
// same), and a link mailed before the change no longer signs in.
func TestSignInPolicyPasswordTOTP(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	ctx := context.Background()
	b := s.browser(t)
	if p := b.post("/gestao/entrar/link", url.Values{"email": {bruno}}); p.Status != http.StatusSeeOther {
		t.Fatalf("link before: %d", p.Status)
	}
	var link string
	if err := s.svc.Pool().QueryRow(ctx, `SELECT data->>'link' FROM notifications WHERE kind = 'signin_link'`).Scan(&link); err != nil {
		t.Fatal(err)
	}
	spec := sampleOrg(t)
	spec.Organization.StaffSignIn = "password_totp"
	if _, err := s.svc.ApplyOrg(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/gestao/entrar"); p.Status != http.StatusOK || strings.Contains(p.Body, `action="/gestao/entrar/link"`) ||
		!strings.Contains(p.Body, `aria-describedby="codigo-dica" required`) {
		t.Errorf("entrar: %d\n%s", p.Status, p.Body)
	}
	if p := b.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}}); p.Status != http.StatusForbidden || b.cookie != "" ||
		!strings.Contains(p.Body, "ainda não foi configurado") {
		t.Errorf("password alone: %d %s", p.Status, p.Body)
	}
	if p := b.post("/gestao/entrar/link", url.Values{"email": {ana}}); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "aviso=link") {
		t.Errorf("link request: %d %s", p.Status, p.Location)
	}
	var links int
	if err := s.svc.Pool().QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = 'signin_link'`).Scan(&links); err != nil || links != 1 {
		t.Errorf("links mailed: %d %v", links, err)
	}
	path := strings.TrimPrefix(link, s.srv.URL)
	if p := b.post(path, nil); p.Status != http.StatusGone || b.cookie != "" || !strings.Contains(p.Body, "o link não vale para ela") {
		t.Errorf("old link: %d %s", p.Status, p.Body)
	}
}

// TestSignOutEverywhere: "Sair de todas as sessões" ends every session of
// the staff member (two browsers), not another member's, and is audited.
func TestSignOutEverywhere(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	one, two, other := s.browser(t), s.browser(t), s.browser(t)
	one.signIn(ana)
	two.signIn(ana)
	other.signIn(bruno)
	if p := one.get("/gestao"); p.Status != http.StatusOK || !strings.Contains(p.Body, `action="/gestao/sair/todas"`) {
		t.Fatalf("Caixa: %d", p.Status)
	}
	old := two.cookie
	if p := two.post("/gestao/sair/todas", nil); p.Status != http.StatusSeeOther || two.cookie != "" || p.Location != "/gestao/entrar?aviso=saiu-todas" {
		t.Fatalf("sair de todas: %d %s", p.Status, p.Location)
	}
	two.cookie = old
	for name, b := range map[string]*browser{"this browser": two, "the other browser": one} {
		if p := b.get("/gestao"); p.Status != http.StatusSeeOther {
			t.Errorf("%s still signed in: %d", name, p.Status)
		}
	}
	if p := other.get("/gestao"); p.Status != http.StatusOK {
		t.Errorf("another member's session ended: %d", p.Status)
	}
	var n int
	if err := s.svc.Pool().QueryRow(context.Background(), `SELECT count(*) FROM staff_signin_audit WHERE event = 'signout' AND reason = 'all sessions'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("audit: %d %v", n, err)
	}
}

// TestSignInWithRecoveryCode: the codigo field takes a recovery code in
// place of the authenticator's code, once.
func TestSignInWithRecoveryCode(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	if _, err := s.svc.SetStaffTOTP(context.Background(), ana); err != nil {
		t.Fatal(err)
	}
	codes, err := s.svc.NewRecoveryCodes(context.Background(), ana)
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	if p := b.get("/gestao/entrar"); !strings.Contains(p.Body, "ou um código de recuperação") {
		t.Errorf("entrar does not mention recovery codes")
	}
	if p := b.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}, "codigo": {codes[0]}}); p.Status != http.StatusSeeOther || b.cookie == "" {
		t.Fatalf("recovery code: %d %s", p.Status, p.Body)
	}
	b2 := s.browser(t)
	if p := b2.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}, "codigo": {codes[0]}}); p.Status != http.StatusUnauthorized || b2.cookie != "" {
		t.Errorf("recovery code again: %d", p.Status)
	}
}
