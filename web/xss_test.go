package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
	"golang.org/x/net/html"
)

// TestXSS puts script in every field a stranger controls (subject,
// requester name, texts, file names, Markdown links) and checks that the
// pages hold no script, no event handler and no javascript: URL, and that
// the payloads appear only escaped.
func TestXSS(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	ctx := context.Background()
	const payload = `"><img src=x onerror=alert(1)><script>alert(2)</script>`
	open := inbound(1, core.Address{Name: `<script>alert("nome")</script>`, Email: "x@example.org"},
		"protocolo@saneamento.example.gov.br", `<script>alert("assunto")</script>`+payload,
		"Texto "+payload+"\n\n[clique aqui](javascript:alert(3)) [dados](data:text/html;base64,PHNjcmlwdD4=)\n\n"+
			"<a href=\"javascript:alert(4)\">link cru</a> <iframe src=\"https://evil.example\"></iframe>\n\n"+
			"![imagem remota](https://evil.example/rastreio.png) [image: "+payload+".png]\n\n"+
			"<svg onload=alert(5)></svg> [vb](vbscript:msgbox(1)) <b onmouseover=alert(6)>negrito</b>")
	open.Attachments = []core.InboundAttachment{
		{Filename: payload + ".pdf", ContentType: "application/pdf", Data: []byte("%PDF")},
		{Filename: payload + ".png", ContentType: "image/png", ContentID: `"><script>`, Inline: true, Data: pngBytes(t)},
		{Filename: "\u202Efdp.exe", ContentType: "application/octet-stream", Data: []byte("MZ")},
	}
	res, err := svc.Ingest(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	var id int64
	var key string
	if err := svc.Pool().QueryRow(ctx, `SELECT id, access_key FROM protocols WHERE number = $1`, res.Protocol).Scan(&id, &key); err != nil {
		t.Fatal(err)
	}
	// A staff dispatch with a marker inside a link target, and a unit name
	// and type name with markup.
	addStepSQL(t, svc, id, "dispatch", "public", "[x](https://exemplo.gov.br/[image: "+payload+".png]) "+payload, "", "", nil)
	if _, err := svc.Pool().Exec(ctx, `UPDATE units SET name = $1 WHERE code = 'PROT'`, `<script>alert("unidade")</script>`); err != nil {
		t.Fatal(err)
	}
	h := newHandler(t, svc, web.Options{})
	pages := map[string]response{
		"number":   get(t, h, "/p/"+n.Digits()),
		"key":      get(t, h, "/p/"+n.Digits()+"?k="+key),
		"document": postForm(t, h, "/p/"+n.Digits(), url.Values{"documento": {"111.444.777-35"}, "chave": {key}}),
		"form":     postForm(t, h, "/consulta", url.Values{"numero": {payload}, "documento": {payload}}),
		"404":      get(t, h, "/p/"+url.PathEscape(payload)),
	}
	for name, res := range pages {
		checkNoActiveContent(t, name, res.Body)
	}
	keyPage := pages["key"].Body
	for _, want := range []string{"&lt;script&gt;alert(&#34;assunto&#34;)&lt;/script&gt;", "Texto &#34;&gt;",
		"clique aqui", `href="https://evil.example/rastreio.png"`, "fdp.exe"} {
		if !strings.Contains(keyPage, want) {
			t.Errorf("key page lacks %q", want)
		}
	}
	if strings.Contains(keyPage, "\u202E") {
		t.Error("a bidirectional override reached the page")
	}
	if strings.Contains(keyPage, "nome") {
		t.Error("the requester's name reached the page")
	}
	api := get(t, h, "/api/protocolos/"+n.Digits()+"?k="+key)
	if ct := api.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("API Content-Type %q", ct)
	}
	if strings.Contains(api.Body, "<script") {
		t.Error("API body holds an unescaped <script (encoding/json escapes < as \\u003c)")
	}
}

// checkNoActiveContent fails when body has a script-like element, an event
// handler attribute, or a URL attribute with a scheme other than http(s),
// mailto or tel, or a relative one.
func checkNoActiveContent(t *testing.T, name, body string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "svg", "math", "base", "meta":
			if tok.Data == "meta" {
				break
			}
			t.Errorf("%s: <%s> element in the page", name, tok.Data)
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
				t.Errorf("%s: attribute %s=%q on <%s>", name, a.Key, a.Val, tok.Data)
			}
			if key == "href" || key == "src" || key == "action" {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if !(strings.HasPrefix(v, "/") || strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") ||
					strings.HasPrefix(v, "mailto:") || strings.HasPrefix(v, "#")) || strings.HasPrefix(v, "//") {
					t.Errorf("%s: %s=%q on <%s>", name, a.Key, a.Val, tok.Data)
				}
			}
		}
	}
}
