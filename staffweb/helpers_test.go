package staffweb_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/staffweb"
	"go.yaml.in/yaml/v3"
)

const (
	ana   = "ana.souza@saneamento.example.gov.br"  // manager, GCOM
	bruno = "bruno.lima@saneamento.example.gov.br" // staff, GOPE
	carla = "carla.admin@saneamento.example.gov.br"
	pass  = "uma senha longa de teste"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is the settable clock of a test site.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// site is a staff site on a real database, with the sample organization
// and a password for Ana, Bruno and Carla.
type site struct {
	svc   *core.Service
	clock *clock
	srv   *httptest.Server
	spec  *core.OrgSpec
}

func sampleOrg(t testing.TB) *core.OrgSpec {
	t.Helper()
	var spec core.OrgSpec
	dec := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	return &spec
}

func newSite(t testing.TB, opts staffweb.Options) *site {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:staff-test-secret-long-enough")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: c.Now, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	spec := sampleOrg(t)
	if _, err := svc.ApplyOrg(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{ana, bruno} {
		if err := svc.SetStaffPassword(context.Background(), e, pass); err != nil {
			t.Fatal(err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = quietLog
	}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	h, err := staffweb.NewServer(context.Background(), svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{svc: svc, clock: c, srv: httptest.NewServer(h), spec: spec}
	t.Cleanup(s.srv.Close)
	return s
}

// browser is an HTTP client with one session cookie, kept by hand (Go's
// cookie jar does not send Secure cookies over http).
type browser struct {
	t      testing.TB
	s      *site
	cookie string
	header http.Header // extra headers on every request
}

func (s *site) browser(t testing.TB) *browser {
	return &browser{t: t, s: s, header: http.Header{}}
}

type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: staffweb.CookieName, Value: b.cookie})
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.Name == staffweb.CookieName {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				b.t.Errorf("session cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/", c)
			}
			b.cookie = c.Value
			if c.MaxAge < 0 {
				b.cookie = ""
			}
		}
	}
	return page{Status: res.StatusCode, Body: string(body), Location: res.Header.Get("Location"), Header: res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.s.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// postFiles posts a multipart form with files (name → content) under anexos.
func (b *browser) postFiles(path string, form url.Values, files map[string]string) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for name, content := range files {
		w, _ := mw.CreateFormFile("anexos", name)
		_, _ = w.Write([]byte(content))
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.s.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// signIn signs in with the password.
func (b *browser) signIn(email string) {
	b.t.Helper()
	p := b.post("/gestao/entrar", url.Values{"email": {email}, "senha": {pass}})
	if p.Status != http.StatusSeeOther || b.cookie == "" {
		b.t.Fatalf("sign in as %s: %d %q", email, p.Status, p.Body)
	}
}

// open opens a protocol by mail to rcpt and returns its number.
func (s *site) open(t testing.TB, i int, rcpt, subject, text string) core.Number {
	t.Helper()
	raw := "From: joana.cidada@example.org\r\nTo: " + rcpt + "\r\nSubject: " + subject + "\r\nMessage-ID: <m" + subject + "@example.org>\r\n\r\n" + text + "\r\n"
	res, err := s.svc.Ingest(context.Background(), core.Inbound{Raw: []byte(raw), MessageID: "m" + string(rune('a'+i)) + "@example.org",
		Subject: subject, From: core.Address{Name: "Joana Cidadã", Email: "joana.cidada@example.org"}, Recipients: []string{rcpt},
		Text: text, FullText: text, Class: core.ClassNormal})
	if err != nil {
		t.Fatal(err)
	}
	n, err := core.ParseNumber(res.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
