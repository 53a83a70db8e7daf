package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

// TestNovoValidation: every field error gives 422 with the message next
// to its field (aria-invalid, linked from the summary), the typed values
// kept, and nothing stored or mailed.
func TestNovoValidation(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	long := strings.Repeat("a", 201)
	cases := []struct {
		name  string
		edit  func(url.Values)
		files []upload
		field string
		msg   string
	}{
		{"no type", func(f url.Values) { f.Del("tipo") }, nil, "tipo", "Escolha o tipo de pedido."},
		{"unknown type", func(f url.Values) { f.Set("tipo", "NAOEXISTE") }, nil, "tipo", "Tipo de pedido desconhecido"},
		{"type off the form", func(f url.Values) { f.Set("tipo", "SEGUNDAVIA") }, nil, "tipo", "Tipo de pedido desconhecido"},
		{"no subject", func(f url.Values) { f.Set("assunto", "  ") }, nil, "assunto", "Informe o assunto"},
		{"long subject", func(f url.Values) { f.Set("assunto", long) }, nil, "assunto", "no máximo 200 caracteres"},
		{"no description", func(f url.Values) { f.Del("descricao") }, nil, "descricao", "Descreva o seu pedido."},
		{"no name", func(f url.Values) { f.Set("nome", "") }, nil, "nome", "Informe o nome ou a razão social."},
		{"bad CPF", func(f url.Values) { f.Set("documento", "529.982.247-24") }, nil, "documento", "CPF ou CNPJ inválido"},
		{"bad alphanumeric CNPJ", func(f url.Values) { f.Set("documento", "12.ABC.345/01DE-36") }, nil, "documento", "CPF ou CNPJ inválido"},
		{"document required by the type", func(f url.Values) { f.Set("tipo", "LIGACAO"); f.Del("documento") }, nil, "documento",
			"este tipo de pedido exige"},
		{"long account", func(f url.Values) { f.Set("matricula", strings.Repeat("9", 65)) }, nil, "matricula", "No máximo 64"},
		{"bad phone", func(f url.Values) { f.Set("telefone", "ligar à tarde") }, nil, "telefone", "Telefone inválido"},
		{"no e-mail", func(f url.Values) { f.Del("email") }, nil, "email", "Informe o e-mail"},
		{"bad e-mail", func(f url.Values) { f.Set("email", "joana@example") }, nil, "email", "E-mail inválido"},
		{"e-mail with a name", func(f url.Values) { f.Set("email", "Joana <joana@example.org>") }, nil, "email", "E-mail inválido"},
		{"other without a name", func(f url.Values) { f.Set("outro_nome", "") }, nil, "outro_nome", "Informe o nome"},
		{"other bad document", func(f url.Values) { f.Set("outro_documento", "11.111.111/1111-11") }, nil, "outro_documento", "CPF ou CNPJ inválido"},
		{"other bad e-mail", func(f url.Values) { f.Set("outro_email", "sindico@") }, nil, "outro_email", "E-mail inválido"},
		{"other filled in, box not ticked", func(f url.Values) { f.Del("outro") }, nil, "outro", "Você preencheu dados de outra pessoa"},
		{"file type not accepted", nil, []upload{{"foto.pdf", []byte("<html><script>alert(1)</script></html>")}}, "anexos",
			"não é de um tipo aceito"},
		{"file too large for the type", func(f url.Values) { f.Set("tipo", "LIGACAO") }, []upload{{"grande.pdf", append(pdfBytes, bytes.Repeat([]byte{' '}, 3000)...)}},
			"anexos", "passa do limite de 2 KB por arquivo"},
		{"too many files for the type", func(f url.Values) { f.Set("tipo", "LIGACAO") },
			[]upload{{"a.pdf", pdfBytes}, {"b.pdf", pdfBytes}, {"c.pdf", pdfBytes}}, "anexos", "No máximo 2 arquivos"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := validForm(e.formToken(t, "/novo"))
			if c.edit != nil {
				c.edit(f)
			}
			res := e.post(t, "/novo", f, c.files, "")
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.Status, res.Body)
			}
			errRe := regexp.MustCompile(`<p class="erro" id="` + c.field + `-erro">([^<]*)</p>`)
			m := errRe.FindStringSubmatch(res.Body)
			if m == nil || !strings.Contains(m[1], htmlEscape(c.msg)) {
				t.Errorf("no error %q next to %s; got %v", c.msg, c.field, m)
			}
			if !strings.Contains(res.Body, `<a href="#`+c.field+`">`) {
				t.Errorf("the summary does not link #%s", c.field)
			}
			if c.field != "tipo" && !regexp.MustCompile(`id="`+c.field+`"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="`+c.field+`"`).MatchString(
				strings.ReplaceAll(res.Body, "\n", " ")) {
				t.Errorf("%s is not marked aria-invalid", c.field)
			}
			if c.field != "nome" && !strings.Contains(res.Body, `value="Joana Cidadã"`) {
				t.Error("the typed name was not kept")
			}
			if !strings.Contains(res.Body, "desde ontem.</textarea>") && c.field != "descricao" {
				t.Error("the typed description was not kept")
			}
		})
	}
	if n := count(t, e.svc, `SELECT count(*) FROM web_submissions`); n != 0 {
		t.Errorf("%d submissions stored from invalid forms", n)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM notifications`); n != 0 {
		t.Errorf("%d notifications queued for invalid forms", n)
	}
}

// htmlEscape escapes what html/template escapes in these messages.
func htmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "'", "&#39;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TestNovoKeepsFiles: a form refused for a field keeps its good files
// server-side; the next post (same form) need not send them again, may
// drop one, and the confirmed protocol has the files kept.
func TestNovoKeepsFiles(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	tok := e.formToken(t, "/novo")
	f := validForm(tok)
	f.Set("email", "")
	res := e.post(t, "/novo", f, []upload{{"foto.png", pngBytes(t)}, {"laudo.pdf", pdfBytes}}, "")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Arquivos já recebidos") ||
		!strings.Contains(res.Body, "Remover foto.png") || !strings.Contains(res.Body, "Remover laudo.pdf") {
		t.Fatalf("422 without the kept files: %d\n%s", res.Status, res.Body)
	}
	m := regexp.MustCompile(`id="remover-(\d+)" name="remover_anexo" value="\d+">\s*<label for="remover-\d+">Remover foto.png`).FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatal("no remove box for foto.png")
	}
	if tokenRe.FindStringSubmatch(res.Body)[1] != tok {
		t.Error("the re-rendered form has another token: its files would be lost")
	}
	f = validForm(tok)
	f.Set("remover_anexo", m[1])
	if res := e.post(t, "/novo", f, nil, ""); res.Status != http.StatusOK {
		t.Fatalf("second post: %d\n%s", res.Status, res.Body)
	}
	e.deliver(t)
	confirm := postForm(t, e.h, e.confirmLink(t, "joana@example.org", 1), url.Values{})
	if !strings.Contains(confirm.Body, "Comprovante") {
		t.Fatalf("confirm: %d", confirm.Status)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM attachments`); n != 1 {
		t.Errorf("%d attachments, want 1 (laudo.pdf kept, foto.png removed)", n)
	}
	if n := count(t, e.svc, `SELECT count(*) FROM attachments WHERE filename = 'laudo.pdf'`); n != 1 {
		t.Error("laudo.pdf missing")
	}
}

// TestNovoOtherRequesterLabels: the labels say what validation asks. The
// requester's name is required; the other requester's only when the box
// "em nome de outra pessoa" is ticked, and the label says so; with the box
// unticked and the block empty the form passes.
func TestNovoOtherRequesterLabels(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	page := get(t, e.h, "/novo").Body
	label := func(id string) string {
		m := regexp.MustCompile(`(?s)<label for="` + id + `">(.*?)</label>`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no label for %s", id)
		}
		return m[1]
	}
	if l := label("nome"); !strings.Contains(l, "(obrigatório)") {
		t.Errorf("nome: %q, want (obrigatório)", l)
	}
	if l := label("outro_nome"); strings.Contains(l, "(obrigatório)") || !strings.Contains(l, "obrigatório se") {
		t.Errorf("outro_nome: %q, want required only when the box is ticked", l)
	}
	f := validForm(e.formToken(t, "/novo"))
	for k := range f {
		if strings.HasPrefix(k, "outro") {
			f.Del(k)
		}
	}
	if res := e.post(t, "/novo", f, nil, ""); res.Status != http.StatusOK {
		t.Errorf("no other requester: %d\n%s", res.Status, res.Body)
	}
}
