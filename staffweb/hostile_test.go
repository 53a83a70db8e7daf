package staffweb_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
	"github.com/tramita/tramita/staffweb"
)

// deepMail is a citizen's request whose text sits under depth nested
// multipart levels, with a file named to disguise its extension.
func deepMail(depth int, filename string) []byte {
	var b strings.Builder
	b.WriteString("From: Joana <joana.cidada@example.org>\r\nTo: ligacao@saneamento.example.gov.br\r\n" +
		"Subject: Pedido aninhado\r\nMessage-ID: <deep@example.org>\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"top\"\r\n\r\n--top\r\n")
	b.WriteString("Content-Type: application/pdf; name*=UTF-8''" + pctEncode(filename) + "\r\n" +
		"Content-Disposition: attachment; filename*=UTF-8''" + pctEncode(filename) + "\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--top\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\nPeço a religação da água na Rua das Acácias.\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	b.WriteString("--top--\r\n")
	return []byte(b.String())
}

func pctEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// disguise matches the characters that make a file name read otherwise than
// it is: bidirectional controls, zero-width and other format characters.
var disguise = regexp.MustCompile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c\u00ad]|%E2%80%AE|%E2%81%A6")

// TestHostileMailOnStaffPages: mail an attacker controls reaches staff
// pages through the real intake door. "Ver mensagem original" reads it
// with intake's limits (a message nested 20 000 levels deep took minutes of
// CPU per page view with go-message's reader, quadratic in depth), and a
// file name with a right-to-left override (fatura‮fdp.exe, shown as
// "faturaexe.pdf") is never shown or offered for download with it.
func TestHostileMailOnStaffPages(t *testing.T) {
	s := newSite(t, staffweb.Options{})
	ctx := context.Background()
	name := "fatura\u202Efdp.exe"
	ing := &mailin.Ingester{Core: s.svc, Log: quietLog}
	res, err := ing.Ingest(ctx, deepMail(20000, name), core.Source{Kind: "pipe"})
	if err != nil || res.Protocol == "" {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	p, err := s.svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if p.Unit != "GCOM" {
		t.Fatalf("%s went to %s, want GCOM (Ana's unit)", n, p.Unit)
	}
	b := s.browser(t)
	b.signIn(ana)

	msg := b.get("/gestao/p/" + n.Digits() + "/mensagens/1")
	// Intake reads 40 levels (mailin); the page says what it left unread.
	if msg.Status != http.StatusOK || !strings.Contains(msg.Body, "nesting deeper than") {
		t.Errorf("original message page: %d, the unread nesting is not told:\n%.3000s", msg.Status, msg.Body)
	}
	if !strings.Contains(msg.Body, "fatura") || disguise.MatchString(msg.Body) {
		t.Errorf("original message page lists the file with a disguising character or not at all:\n%.3000s", msg.Body)
	}
	page := b.get("/gestao/p/" + n.Digits())
	if page.Status != http.StatusOK {
		t.Fatalf("protocol page: %d", page.Status)
	}
	if !strings.Contains(page.Body, "faturafdp.exe") || disguise.MatchString(page.Body) {
		t.Errorf("protocol page shows the file name with a disguising character (want faturafdp.exe):\n%.3000s", page.Body)
	}
	link := regexp.MustCompile(`/gestao/p/\d+/anexos/\d+`).FindString(page.Body)
	if link == "" {
		t.Fatal("no download link on the protocol page")
	}
	d := b.get(link)
	cd := d.Header.Get("Content-Disposition")
	if d.Status != http.StatusOK || disguise.MatchString(cd) || !strings.Contains(cd, "faturafdp.exe") {
		t.Errorf("download: %d Content-Disposition %q: want faturafdp.exe without format characters", d.Status, cd)
	}
}

// TestAlteredListURLs: a search or list address edited by hand (a NUL or
// bytes that are not UTF-8 in a field, a page cursor that is not one) is
// the asker's mistake: an answer under 500, never a database error page.
func TestAlteredListURLs(t *testing.T) {
	s := newSite(t, staffweb.Options{})
	b := s.browser(t)
	b.signIn(ana)
	for _, path := range []string{"/gestao/busca?q=%00", "/gestao/busca?q=joana%00x", "/gestao/busca?q=%FF%FE",
		"/gestao/busca?tipo=%00&q=x", "/gestao/busca?unidade=%00&q=x", "/gestao/busca?situacao=%00&q=x",
		"/gestao/busca?q=a%40b%00.org", "/gestao/busca?q=529.982.247-25%00",
		"/gestao/busca?apos=abc", "/gestao/?apos=1.2.3", "/gestao/prazos?apos=99999999999999999999.1",
		"/gestao/sobrestados?apos=%00", "/gestao/aguardando?apos=."} {
		if p := b.get(path); p.Status >= 500 {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
	if p := b.get("/gestao/busca?apos=abc"); p.Status != http.StatusBadRequest {
		t.Errorf("altered cursor: %d, want 400", p.Status)
	}
}

// TestSignInReturnStaysInStaffSite: the address to return to after
// signing in (?volta=) leads only to a staff page, however it is written.
func TestSignInReturnStaysInStaffSite(t *testing.T) {
	s := newSite(t, staffweb.Options{})
	for _, volta := range []string{"https://evil.example/gestao", "//evil.example/gestao", "/gestao/../../evil", "/gestao/..%2F..%2Fp%2F1",
		"/gestao/../novo", `/\evil.example/gestao`, "/gestao\\..\\..\\evil", "/gestao/%2e%2e/%2e%2e/evil", "gestao", "/gestaox",
		"/\t/evil.example/gestao", "/gestao/p/1?x=//evil.example"} {
		b := s.browser(t)
		p := b.post("/gestao/entrar", url.Values{"email": {ana}, "senha": {pass}, "volta": {volta}})
		loc := p.Location
		if p.Status != http.StatusSeeOther || loc != "/gestao" && !strings.HasPrefix(loc, "/gestao/") || strings.Contains(loc, "..") ||
			path.Clean(strings.SplitN(loc, "?", 2)[0]) != "/gestao" && !strings.HasPrefix(path.Clean(strings.SplitN(loc, "?", 2)[0]), "/gestao/") {
			t.Errorf("volta=%q: %d Location %q, want a page under /gestao", volta, p.Status, loc)
		}
	}
}
