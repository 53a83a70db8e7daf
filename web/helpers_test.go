package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/web"
	"go.yaml.in/yaml/v3"
)

// testNow is the fixed clock of these tests: 10 March 2026, 15:00 UTC
// (12:00 in Maceió, the sample organization's time zone).
var testNow = time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newService returns a Service on a fresh schema with the sample
// organization (examples/org.yaml) applied.
func newService(t testing.TB) *core.Service {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("1:web-test-secret-long-enough")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(pool, core.Config{Keys: keys, Now: func() time.Time { return testNow }, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyOrg(context.Background(), sampleSpec(t)); err != nil {
		t.Fatal(err)
	}
	return svc
}

// sampleSpec is examples/org.yaml, strictly decoded.
func sampleSpec(t testing.TB) *core.OrgSpec {
	t.Helper()
	var spec core.OrgSpec
	dec := yaml.NewDecoder(bytes.NewReader(examples.OrgYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		t.Fatal(err)
	}
	return &spec
}

// newHandler builds the lookup server on svc; opts' zero fields get the
// test clock, a quiet logger and no rate limit.
func newHandler(t testing.TB, svc web.Lookup, opts web.Options) http.Handler {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.Logger == nil {
		opts.Logger = quietLog
	}
	if opts.RateLimit == (webkit.RateLimit{}) {
		opts.RateLimit = webkit.RateLimit{Unlimited: true}
	}
	h, err := web.NewServer(svc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// pngBytes is a small valid PNG.
func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 24))
	for x := 0; x < 40; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{R: 19, G: 81, B: 180, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixture is a protocol with an opening (inline image and a PDF), a public
// staff dispatch with a file, a private note with a file, and a requester
// with a CPF.
type fixture struct {
	svc        *core.Service
	number     core.Number
	key        string
	id         int64
	imageFile  int64 // inline image of the opening
	openFile   int64 // PDF of the opening
	publicFile int64 // file of the public dispatch
	privFile   int64 // file of the private note
	cpf        string
}

// fixtureText are the texts the fixture stores, by step.
const (
	openingText  = "Há um vazamento em frente ao número 120.\n\n[image: foto-vazamento.png]\n\nAguardo retorno."
	dispatchText = "Equipe **enviada** ao local.\nPrevisão de conserto: 48 horas."
	privateText  = "SEGREDO: custo estimado de R$ 9.000"
	privateFile  = "parecer-interno-sigiloso.pdf"
)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	svc := newService(t)
	ctx := context.Background()
	f := &fixture{svc: svc, cpf: "52998224725"}
	open := inbound(1, core.Address{Name: "Maria da Silva", Email: "maria@example.org"}, "vazamento@saneamento.example.gov.br",
		"Vazamento na Rua das Flores", openingText)
	open.Attachments = []core.InboundAttachment{
		{Filename: "foto-vazamento.png", ContentType: "image/png", ContentID: "foto1@example.org", Inline: true, Data: pngBytes(t)},
		{Filename: "croqui.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 croqui")},
	}
	res, err := svc.Ingest(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	if f.number, err = core.ParseNumber(res.Protocol); err != nil {
		t.Fatal(err)
	}
	pool := svc.Pool()
	if err := pool.QueryRow(ctx, `SELECT id, access_key FROM protocols WHERE number = $1`, res.Protocol).Scan(&f.id, &f.key); err != nil {
		t.Fatal(err)
	}
	reply := inbound(2, core.Address{Name: "Bruno Lima", Email: "bruno.lima@saneamento.example.gov.br"}, "protocolo@saneamento.example.gov.br",
		"Re: Vazamento", dispatchText)
	reply.Match = core.Match{ProtocolID: f.id, Rule: "subject"}
	// A staff dispatch must be authenticated (issue 17): the fixture's reply
	// passes DMARC as a trusted MX would have said.
	reply.SenderVerified, reply.AuthReason = true, "dmarc=pass header.from=saneamento.example.gov.br"
	reply.Attachments = []core.InboundAttachment{{Filename: "ordem-de-serviço.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 OS")}}
	if res, err := svc.Ingest(ctx, reply); err != nil || res.Outcome != core.OutcomeAppended {
		t.Fatalf("staff reply: %+v %v", res, err)
	}
	f.privFile = addStepSQL(t, svc, f.id, "note", "private", privateText, privateFile, "application/pdf", []byte("%PDF-1.4 sigiloso"))
	if _, err := pool.Exec(ctx, `UPDATE participants SET document = $2, phone = '82999990000' WHERE protocol_id = $1 AND role = 'requester'`,
		f.id, f.cpf); err != nil {
		t.Fatal(err)
	}
	files := map[string]*int64{"foto-vazamento.png": &f.imageFile, "croqui.pdf": &f.openFile, "ordem-de-serviço.pdf": &f.publicFile}
	for name, dst := range files {
		if err := pool.QueryRow(ctx, `SELECT id FROM attachments WHERE protocol_id = $1 AND filename = $2`, f.id, name).Scan(dst); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return f
}

// inbound builds an Inbound message from from to rcpt.
func inbound(i int, from core.Address, rcpt, subject, text string) core.Inbound {
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <w%d@example.org>\r\n\r\n%s\r\n", from.Email, rcpt, subject, i, text)
	return core.Inbound{
		Raw: []byte(raw), MessageID: fmt.Sprintf("w%d@example.org", i), Subject: subject, From: from,
		Recipients: []string{rcpt}, Text: text, FullText: text, Class: core.ClassNormal,
	}
}

// addStepSQL appends a step (and optionally one file) with plain SQL, for
// what core has no command for yet (a private note); it returns the file id.
func addStepSQL(t testing.TB, svc *core.Service, protocolID int64, kind, vis, text, filename, ctype string, data []byte) int64 {
	t.Helper()
	ctx := context.Background()
	pool := svc.Pool()
	var stepID int64
	err := pool.QueryRow(ctx, `INSERT INTO steps (protocol_id, n, kind, at, author_email, author_name, from_unit_id, to_unit_id, visibility, text)
		SELECT $1, (SELECT max(n) + 1 FROM steps WHERE protocol_id = $1), $2, $3, 'bruno.lima@saneamento.example.gov.br', 'Bruno Lima',
			unit_id, unit_id, $4, $5
		FROM protocols WHERE id = $1 RETURNING id`, protocolID, kind, testNow.Add(time.Hour), vis, text).Scan(&stepID)
	if err != nil {
		t.Fatal(err)
	}
	if filename == "" {
		return 0
	}
	if _, err := pool.Exec(ctx, `INSERT INTO blobs (sha256, size, content) VALUES (sha256($1::bytea), length($1::bytea), $1::bytea)
		ON CONFLICT DO NOTHING`, data); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO attachments (protocol_id, step_id, sha256, filename, content_type, size)
		VALUES ($1, $2, sha256($3::bytea), $4, $5, length($3::bytea)) RETURNING id`, protocolID, stepID, data, filename, ctype).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// response is a recorded response.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func do(t testing.TB, h http.Handler, r *http.Request) response {
	t.Helper()
	if r.RemoteAddr == "" || r.RemoteAddr == "192.0.2.1:1234" {
		r.RemoteAddr = "198.51.100.7:40000"
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return response{Status: w.Code, Header: w.Header(), Body: w.Body.String()}
}

func get(t testing.TB, h http.Handler, target string) response {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

func postForm(t testing.TB, h http.Handler, target string, form url.Values) response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, h, r)
}

// wrongDigits returns n written with wrong check digits.
func wrongDigits(n core.Number) string {
	s := n.String()
	dv := s[len(s)-2:]
	bad := "00"
	if dv == "00" {
		bad = "01"
	}
	return s[:len(s)-2] + bad
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// unknownNumber is a well-formed number no fixture uses.
var unknownNumber = core.Number{Unit: "23037", Seq: 999, Year: 2026}.Digits()

// typo returns key with its last character changed.
func typo(key string) string {
	if strings.HasSuffix(key, "Z") {
		return key[:len(key)-1] + "Y"
	}
	return key[:len(key)-1] + "Z"
}
