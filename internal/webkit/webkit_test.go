package webkit_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

func TestSecureHeadersAndPanic(t *testing.T) {
	t.Parallel()
	h := webkit.Secure(slog.New(slog.NewTextHandler(io.Discard, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		w.Write([]byte("ok"))
	}))
	for _, path := range []string{"/", "/panic"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		for k, v := range webkit.SecurityHeaders() {
			if got := rec.Header().Get(k); got != v[0] {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v[0])
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP allows scripts: %s", csp)
		}
		if path == "/panic" && rec.Code != http.StatusInternalServerError {
			t.Errorf("panic gave %d", rec.Code)
		}
	}
}

func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	h, err := webkit.CrossOrigin(ok, deny, "https://portal.example.gov.br")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		method  string
		headers map[string]string
		want    int
	}{
		"same origin browser":    {"POST", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, 204},
		"cross-site browser":     {"POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		"old browser, Origin":    {"POST", map[string]string{"Origin": "https://evil.example"}, 403},
		"trusted origin":         {"POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://portal.example.gov.br"}, 204},
		"kiosk without headers":  {"POST", nil, 204},
		"cross-site GET is safe": {"GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 204},
		"user typed the address": {"POST", map[string]string{"Sec-Fetch-Site": "none"}, 204},
	} {
		r := httptest.NewRequest(c.method, "http://example.com/novo", nil)
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", name, rec.Code, c.want)
		}
	}
}

func TestFormTokens(t *testing.T) {
	t.Parallel()
	keys, err := core.ParseKeyring("um-segredo-de-teste-longo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	ft := webkit.FormTokens{Keys: keys, Purpose: "novo", Now: func() time.Time { return now }}
	tok := ft.Issue()
	if tok2 := ft.Issue(); tok2 == tok {
		t.Error("two forms got the same token")
	}
	for name, c := range map[string]struct {
		after time.Duration
		want  error
	}{
		"at once":      {0, webkit.ErrFormTooFast},
		"2.9 s":        {2900 * time.Millisecond, webkit.ErrFormTooFast},
		"3 s":          {3 * time.Second, nil},
		"1 h":          {time.Hour, nil},
		"2 h 1 s":      {2*time.Hour + time.Second, webkit.ErrFormExpired},
		"clock skewed": {-time.Minute, webkit.ErrFormTooFast},
	} {
		later := ft
		later.Now = func() time.Time { return now.Add(c.after) }
		got, err := later.Check(tok)
		if !errors.Is(err, c.want) || (err == nil) != (c.want == nil) {
			t.Errorf("%s: error %v, want %v", name, err, c.want)
		}
		if c.want == nil && (len(got.ID) != 32 || !got.Issued.Equal(now)) {
			t.Errorf("%s: token %+v", name, got)
		}
	}
	other := ft
	other.Purpose = "mensagem"
	other.Now = func() time.Time { return now.Add(time.Minute) }
	if _, err := other.Check(tok); !errors.Is(err, webkit.ErrFormTokenInvalid) {
		t.Errorf("a token of another form: %v", err)
	}
	if _, err := other.Check(""); !errors.Is(err, webkit.ErrFormTokenInvalid) {
		t.Errorf("no token: %v", err)
	}
}

func TestReadFormAndUploads(t *testing.T) {
	t.Parallel()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	body := &bytes.Buffer{}
	mw := multipart.NewWriter(body)
	mw.WriteField("nome", "  Maria\r\nda Silva ")
	fw, _ := mw.CreateFormFile("anexos", `C:\fotos\vazamento.png`)
	fw.Write(png)
	fw, _ = mw.CreateFormFile("anexos", "relatorio.pdf") // says PDF, is text
	fw.Write([]byte("só texto"))
	mw.CreateFormFile("anexos", "") // no file chosen
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/novo", bytes.NewReader(body.Bytes()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := webkit.ReadForm(httptest.NewRecorder(), r, 1<<20); err != nil {
		t.Fatal(err)
	}
	defer webkit.RemoveForm(r)
	if got := webkit.Field(r, "nome"); got != "Maria\nda Silva" {
		t.Errorf("Field = %q", got)
	}
	ups, err := webkit.Uploads(r, "anexos", 1000)
	if err != nil || len(ups) != 2 {
		t.Fatalf("Uploads = %+v, %v", ups, err)
	}
	if ups[0].Filename != "vazamento.png" || ups[0].ContentType != "image/png" || ups[1].ContentType != "text/plain" {
		t.Errorf("uploads: %s %s / %s %s", ups[0].Filename, ups[0].ContentType, ups[1].Filename, ups[1].ContentType)
	}
	var tooLarge *webkit.FileTooLargeError
	if _, err := webkit.Uploads(r, "anexos", 50); !errors.As(err, &tooLarge) || tooLarge.Filename != "vazamento.png" {
		t.Errorf("over the file limit: %v", err)
	}
	r = httptest.NewRequest(http.MethodPost, "/novo", bytes.NewReader(body.Bytes()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := webkit.ReadForm(httptest.NewRecorder(), r, 100); !errors.Is(err, webkit.ErrBodyTooLarge) {
		t.Errorf("over the body limit: %v", err)
	}
}

func TestSniffType(t *testing.T) {
	t.Parallel()
	zip := []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00")
	for name, c := range map[string]struct {
		data []byte
		file string
		want string
	}{
		"pdf":         {[]byte("%PDF-1.7\n"), "x.pdf", "application/pdf"},
		"docx":        {zip, "oficio.DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		"zip as pdf":  {zip, "x.pdf", "application/zip"},
		"csv":         {[]byte("a;b\n1;2\n"), "t.csv", "text/csv"},
		"html as jpg": {[]byte("<html><script>x</script>"), "foto.jpg", "text/html"},
		"jpeg":        {[]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "foto", "image/jpeg"},
	} {
		if got := webkit.SniffType(c.data, c.file); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	var e webkit.FieldErrors
	e.Add("email", "Informe o e-mail.")
	e.Add("nome", "Informe o nome.")
	e.Add("email", "segunda mensagem ignorada")
	if e.Len() != 2 || e.Get("email") != "Informe o e-mail." || !e.Has("nome") || e.Has("tipo") ||
		strings.Join(e.Fields(), ",") != "email,nome" {
		t.Errorf("FieldErrors = %+v", e.List())
	}
	var none *webkit.FieldErrors
	if none.Len() != 0 || none.Get("x") != "" {
		t.Error("nil FieldErrors")
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := webkit.NewLimiter(webkit.RateLimit{Events: 2, Per: time.Hour, Burst: 2})
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for i := range 2 {
		if ok, _ := l.Allow("a@x", now); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	ok, wait := l.Allow("a@x", now)
	if ok || wait != 30*time.Minute {
		t.Errorf("third: %v %v", ok, wait)
	}
	if ok, _ := l.Allow("b@x", now); !ok {
		t.Error("another key refused")
	}
	if ok, _ := l.Allow("a@x", now.Add(30*time.Minute)); !ok {
		t.Error("refused after the wait")
	}
	if webkit.WaitText(1) != "1 segundo" || webkit.WaitText(40) != "40 segundos" || webkit.WaitText(130) != "3 minutos" {
		t.Error("WaitText")
	}
}
