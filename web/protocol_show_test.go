package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

func TestProtocolNumberAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	for _, form := range []string{f.number.String(), f.number.Digits(), url.PathEscape(f.number.String())} {
		res := get(t, h, "/p/"+form)
		if res.Status != http.StatusOK {
			t.Fatalf("GET /p/%s: %d\n%s", form, res.Status, res.Body)
		}
		for _, want := range []string{`lang="pt-BR"`, `name="viewport"`, f.number.String(), "Aberto", "situacao-aberto", "Vazamento",
			"Gerência de Operações", "10/03/2026 12:00", "Trâmite interno", "Abertura", "Despacho", "Companhia de Saneamento Exemplo",
			"Ver despachos e arquivos"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("GET /p/%s: page lacks %q", form, want)
			}
		}
		for _, never := range []string{"Rua das Flores", "vazamento em frente", "Equipe", "SEGREDO", "croqui", "ordem-de-servi",
			privateFile, "foto-vazamento", "maria", "Maria", "Bruno", "bruno", "82999990000", "529", f.key, "<script"} {
			if strings.Contains(res.Body, never) {
				t.Errorf("GET /p/%s: number-alone page shows %q", form, never)
			}
		}
	}
}

// wrongNotice is the paragraph a key or CPF/CNPJ that does not open the
// page adds to it.
const wrongNotice = `<p class="alerta" role="alert" id="chave-incorreta">Chave incorreta: a chave de acesso ou o CPF/CNPJ informado não abre os despachos deste protocolo. Confira o e-mail de abertura.</p>`

// sameButNotice checks that res is the page base plus the "chave
// incorreta" notice and nothing else.
func sameButNotice(t *testing.T, what string, base, res response) {
	t.Helper()
	if res.Status != base.Status || !strings.Contains(res.Body, "Chave incorreta") || strings.Replace(res.Body, wrongNotice, "", 1) != base.Body {
		t.Errorf("%s: want the page of the number alone with the \"chave incorreta\" notice (status %d)\n%s", what, res.Status, res.Body)
	}
}

func TestProtocolWrongKeyIsNoKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	base := get(t, h, "/p/"+f.number.Digits())
	if strings.Contains(base.Body, "Chave incorreta") {
		t.Fatal("the page of the number alone says \"chave incorreta\"")
	}
	for _, k := range []string{"ABCDEFGHJK", typo(f.key), strings.Repeat("A", 64), "<script>", "' OR 1=1 --"} {
		sameButNotice(t, "key "+k, base, get(t, h, "/p/"+f.number.Digits()+"?k="+url.QueryEscape(k)))
	}
	for _, k := range []string{"", "  "} {
		if res := get(t, h, "/p/"+f.number.Digits()+"?k="+url.QueryEscape(k)); res.Status != base.Status || res.Body != base.Body {
			t.Errorf("empty key %q: answer differs from the number alone (status %d)", k, res.Status)
		}
	}
	// A valid CPF that is not the requester's, posted: the same words as
	// for a wrong key, with or without a key beside it.
	sameButNotice(t, "wrong CPF and key", base, postForm(t, h, "/p/"+f.number.Digits(), url.Values{"documento": {"111.444.777-35"}, "chave": {"WRONGWRONG"}}))
	sameButNotice(t, "wrong CPF", base, postForm(t, h, "/p/"+f.number.Digits(), url.Values{"documento": {"111.444.777-35"}}))
	sameButNotice(t, "wrong CPF on /consulta", base, postForm(t, h, "/consulta", url.Values{"numero": {f.number.String()}, "documento": {"11144477735"}}))
}

func TestProtocolWithKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	for _, k := range []string{f.key, strings.ToLower(f.key)} {
		res := get(t, h, "/p/"+f.number.String()+"?k="+k)
		if res.Status != http.StatusOK {
			t.Fatalf("status %d", res.Status)
		}
		for _, want := range []string{"Vazamento na Rua das Flores", "Há um vazamento em frente ao número 120.",
			"Equipe <strong>enviada</strong> ao local.<br>", "croqui.pdf", "ordem-de-serviço.pdf",
			"/p/" + f.number.Digits() + "/anexos/", "?k=" + f.key, `<img src="/p/` + f.number.Digits() + `/anexos/`,
			"Trâmite interno", "Você está vendo os despachos"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("key page lacks %q", want)
			}
		}
		// The inline image replaces its marker, in place in the text.
		if strings.Contains(res.Body, "[image: foto-vazamento.png]") {
			t.Error("inline image marker left in the text")
		}
		if i, j := strings.Index(res.Body, "vazamento em frente"), strings.Index(res.Body, "Aguardo retorno"); i < 0 || j < 0 ||
			!strings.Contains(res.Body[i:j], "<img ") {
			t.Error("inline image is not between the paragraphs that surround its marker")
		}
		for _, never := range []string{"SEGREDO", privateFile, "Maria", "maria@", "Bruno", "bruno.lima", "82999990000", "52998224725"} {
			if strings.Contains(res.Body, never) {
				t.Errorf("key page shows %q", never)
			}
		}
		if strings.Contains(res.Body, "/anexos/"+itoa(f.privFile)) {
			t.Error("key page links the private step's file")
		}
	}
}

func TestProtocolWithDocument(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	for name, res := range map[string]response{
		"consulta": postForm(t, h, "/consulta", url.Values{"numero": {f.number.Digits()}, "documento": {"529.982.247-25"}}),
		"unlock":   postForm(t, h, "/p/"+f.number.Digits(), url.Values{"documento": {"52998224725"}}),
	} {
		if res.Status != http.StatusOK {
			t.Fatalf("%s: status %d (a CPF is rendered in place, never redirected)", name, res.Status)
		}
		for _, want := range []string{"Há um vazamento", "Equipe <strong>enviada</strong>", "ordem-de-serviço.pdf", "***.982.247-**",
			"Para baixar os arquivos, abra o link com a chave"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("%s: CPF page lacks %q", name, want)
			}
		}
		for _, never := range []string{"SEGREDO", privateFile, "/anexos/", "52998224725", "529.982.247-25", f.key} {
			if strings.Contains(res.Body, never) {
				t.Errorf("%s: CPF page shows %q", name, never)
			}
		}
		if loc := res.Header.Get("Location"); loc != "" {
			t.Errorf("%s: redirected to %s", name, loc)
		}
	}
}

func TestLookupFormRedirects(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	res := postForm(t, h, "/consulta", url.Values{"numero": {" " + f.number.String() + " "}, "chave": {f.key}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/p/"+f.number.Digits()+"?k="+f.key {
		t.Errorf("number and key: %d → %q", res.Status, res.Header.Get("Location"))
	}
	res = postForm(t, h, "/consulta", url.Values{"numero": {f.number.Digits()}})
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/p/"+f.number.Digits() {
		t.Errorf("number alone: %d → %q", res.Status, res.Header.Get("Location"))
	}
}

// countingLookup wraps a Lookup and counts the calls that reach it.
type countingLookup struct {
	web.Lookup
	calls atomic.Int64
}

func (c *countingLookup) PublicLookup(ctx context.Context, n core.Number, key, doc string) (core.PublicView, error) {
	c.calls.Add(1)
	return c.Lookup.PublicLookup(ctx, n, key, doc)
}

func (c *countingLookup) Organization(ctx context.Context) (core.Organization, error) {
	c.calls.Add(1)
	return c.Lookup.Organization(ctx)
}

func TestInvalidNumberAnswersWithoutDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.Pool().Close() // any database access would now fail
	c := &countingLookup{Lookup: f.svc}
	h := newHandler(t, c, web.Options{})
	bad := wrongDigits(f.number)
	for name, res := range map[string]response{
		"GET page":      get(t, h, "/p/"+strings.ReplaceAll(bad, "/", "%2F")),
		"GET digits":    get(t, h, "/p/"+strings.NewReplacer(".", "", "/", "", "-", "").Replace(bad)),
		"GET too short": get(t, h, "/p/12345"),
		"POST consulta": postForm(t, h, "/consulta", url.Values{"numero": {bad}, "documento": {f.cpf}}),
		"POST unlock":   postForm(t, h, "/p/"+url.PathEscape(bad), url.Values{"chave": {f.key}}),
	} {
		if res.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, res.Status)
		}
		for _, want := range []string{"Número inválido", `id="numero-erro"`, `aria-describedby="numero-dica numero-erro"`, `aria-invalid="true"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("%s: form lacks %q", name, want)
			}
		}
	}
	res := get(t, h, "/api/protocolos/"+url.PathEscape(bad))
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"numero_invalido"`) {
		t.Errorf("API: %d %s", res.Status, res.Body)
	}
	res = get(t, h, "/p/"+url.PathEscape(bad)+"/anexos/1?k=X")
	if res.Status != http.StatusBadRequest && res.Status != http.StatusNotFound {
		t.Errorf("download with a bad number: %d", res.Status)
	}
	if n := c.calls.Load(); n != 0 {
		t.Errorf("%d calls reached the service", n)
	}
}

func TestInvalidDocumentIsAFieldError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	res := postForm(t, h, "/consulta", url.Values{"numero": {f.number.String()}, "documento": {"529.982.247-26"}})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("status %d", res.Status)
	}
	for _, want := range []string{"CPF ou CNPJ inválido", `id="documento-erro"`, `aria-describedby="documento-dica documento-erro"`,
		`value="` + f.number.String() + `"`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
}

func TestUnknownProtocol(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	other := core.Number{Unit: "23037", Seq: 4242, Year: 2026}
	res := get(t, h, "/p/"+other.Digits()+"?k="+f.key)
	if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "Protocolo não encontrado") || !strings.Contains(res.Body, `lang="pt-BR"`) {
		t.Errorf("unknown protocol: %d\n%s", res.Status, res.Body)
	}
	res = get(t, h, "/nada/aqui")
	if res.Status != http.StatusNotFound || !strings.Contains(res.Body, "Página não encontrada") {
		t.Errorf("unknown path: %d", res.Status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	for _, target := range []string{"/", "/p/" + f.number.Digits(), "/p/" + f.number.Digits() + "?k=" + f.key, "/p/123",
		"/api/protocolos/" + f.number.Digits(), "/healthz", "/nada", "/p/" + f.number.Digits() + "/anexos/" + itoa(f.openFile) + "?k=" + f.key} {
		res := get(t, h, target)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
		}
		for k, v := range want {
			if got := res.Header.Get(k); !strings.HasPrefix(got, v) {
				t.Errorf("%s: %s = %q, want %q", target, k, got, v)
			}
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control = %q", target, cc)
		}
		if strings.Contains(strings.ToLower(res.Body), "<script") {
			t.Errorf("%s: the page has a script", target)
		}
	}
	res := get(t, h, "/")
	i := strings.Index(res.Body, `href="/static/tramita.css?v=`)
	if i < 0 {
		t.Fatal("home page does not link the stylesheet")
	}
	css := res.Body[i+len(`href="`):]
	css = css[:strings.IndexByte(css, '"')]
	st := get(t, h, css)
	if st.Status != http.StatusOK || !strings.HasPrefix(st.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(st.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("stylesheet: %d %v", st.Status, st.Header)
	}
}

func TestHomeForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	res := get(t, h, "/")
	for _, want := range []string{`<form class="cartao formulario" method="post" action="/consulta"`, `<label for="numero">`,
		`<label for="chave">`, `<label for="documento">`, `aria-describedby="numero-dica"`, "Companhia de Saneamento Exemplo"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
}

// TestPersonalDataRedactedInTexts: a requester's signature inside a public
// text (name, phone, e-mail, CPF) is not shown with the key either, on the
// page nor in the JSON (DESIGN.md: never shown).
func TestPersonalDataRedactedInTexts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	addStepSQL(t, f.svc, f.id, "message", "public",
		"Obrigada pelo retorno.\n\nMaria da Silva\nTel. (82) 99999-0000 · maria@example.org · CPF 529.982.247-25", "", "", nil)
	h := newHandler(t, f.svc, web.Options{})
	for _, target := range []string{"/p/" + f.number.Digits() + "?k=" + f.key, "/api/protocolos/" + f.number.Digits() + "?k=" + f.key} {
		res := get(t, h, target)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Obrigada pelo retorno.") {
			t.Fatalf("GET %s: %d, text missing", target, res.Status)
		}
		for _, never := range []string{"Maria", "99999-0000", "maria@example.org", "529.982.247-25"} {
			if strings.Contains(res.Body, never) {
				t.Errorf("GET %s shows %q", target, never)
			}
		}
		for _, want := range []string{"[nome omitido]", "[telefone omitido]", "[e-mail omitido]", "[CPF omitido]"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("GET %s lacks %q", target, want)
			}
		}
	}
}
