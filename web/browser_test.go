package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/web"
	"golang.org/x/net/html"
)

// chromium finds Debian's headless Chromium. In CI (CI=true) a missing
// browser fails the test; elsewhere the test is skipped with the reason.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "headless Chromium is not installed (Debian package chromium; scripts/setup installs it)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runChromium runs headless Chromium with args plus the given extra flags
// and returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--hide-scrollbars", "--force-device-scale-factor=1", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// visibleText is the text of body's DOM a reader sees: no head, style or
// script, white space collapsed.
func visibleText(t *testing.T, dom string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "head" || n.Data == "style" || n.Data == "script" || n.Data == "template") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// TestBrowser opens the pages of a seeded protocol in headless Chromium at
// phone and desktop widths, keeps screenshots (TRAMITA_SCREENSHOT_DIR, or a
// temporary folder) and checks the text the browser shows.
func TestBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(newHandler(t, f.svc, web.Options{}))
	defer srv.Close()
	dir := os.Getenv("TRAMITA_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	pages := []struct {
		name    string
		path    string
		want    []string
		notWant []string
		long    bool // also a tall phone screenshot of the whole page
	}{
		{"home", "/", []string{"Consultar protocolo", "Número do protocolo", "Chave de acesso", "CPF ou CNPJ do requerente",
			"Consultar", "Companhia de Saneamento Exemplo"}, nil, false},
		{"protocol-key", "/p/" + f.number.Digits() + "?k=" + f.key, []string{f.number.String(), "Aberto", "Vazamento na Rua das Flores",
			"Gerência de Operações", "Equipe enviada ao local.", "Há um vazamento em frente ao número 120.", "ordem-de-serviço.pdf",
			"Trâmite interno", "Companhia de Saneamento Exemplo"}, []string{"SEGREDO", privateFile, "Maria", "Bruno"}, true},
		{"protocol-number", "/p/" + f.number.Digits(), []string{f.number.String(), "Aberto", "Ver despachos e arquivos", "Abertura",
			"Despacho", "Trâmite interno"}, []string{"Rua das Flores", "Equipe enviada", "SEGREDO", "croqui"}, true},
		{"invalid-number", "/p/" + wrongDigits(f.number)[:6], []string{"Número inválido"}, nil, false},
		{"not-found", "/p/" + unknownNumber, []string{"Protocolo não encontrado"}, nil, false},
	}
	type size struct{ name, size string }
	sizes := []size{{"phone", "390,844"}, {"desktop", "1280,900"}}
	for _, p := range pages {
		url := srv.URL + p.path
		text := visibleText(t, runChromium(t, bin, "--window-size=390,844", "--dump-dom", url))
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
		shots := sizes
		if p.long {
			shots = append(shots[:len(shots):len(shots)], size{"phone-long", "390,2000"})
		}
		for _, sz := range shots {
			file := filepath.Join(dir, p.name+"-"+sz.name+".png")
			runChromium(t, bin, "--window-size="+sz.size, "--screenshot="+file, url)
			st, err := os.Stat(file)
			if err != nil || st.Size() < 2000 {
				t.Errorf("%s: screenshot %s missing or empty (%v)", p.name, file, err)
			}
		}
	}
	t.Logf("screenshots in %s", dir)
}
