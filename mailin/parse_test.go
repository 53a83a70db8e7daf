package mailin

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestParseTestdata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		want    parseWant
		problem string // substring expected in one of Problems
		check   func(t *testing.T, m *Message)
	}{
		{"truncated-base64.eml", parseWant{textHas: []string{"a conexão caiu"}, attachments: []string{"oficio.pdf"}}, "truncated base64", func(t *testing.T, m *Message) {
			if m.MessageID != "truncado-0001@example.org" {
				t.Errorf("MessageID = %q", m.MessageID)
			}
			if d := m.Attachments[0].Data; !bytes.HasPrefix(d, []byte("%PDF-1.4\n% arquivo")) || len(d) < 100 {
				t.Errorf("truncated data not kept: %d bytes", len(d))
			}
		}},
		{"unknown-charset.eml", parseWant{subject: "Pedido de certidão", fromName: "José Amostra", fromEmail: "jose.amostra@example.org", textHas: []string{"certidão negativa de débitos – urgente"}}, `unknown charset "x-fantasia-8"`, func(t *testing.T, m *Message) {
			if m.Report != nil {
				t.Errorf("a null return path alone made a report: %+v", *m.Report)
			}
		}},
		{"bad-boundary.eml", parseWant{textHas: []string{"Texto com ç e QP quebrado: =ZZ fim da linha."}, attachments: []string{"planilha.csv"}, attTypes: []string{"text/csv"}}, "not found; using", nil},
		{"forwarded-only.eml", parseWant{subject: "ENC: Solicitação original", textHas: []string{"Texto da mensagem encaminhada, com acentuação."}, attachments: []string{"Solicitação original.eml"}, attTypes: []string{"message/rfc822"}}, "", nil},
		{"ndr-html-only-ptbr.eml", parseWant{textFromHTML: true, reportType: "delivery-status", recipient: "joao.inexistente@example.com.br", status: "5.1.1", origID: "ack-000301-2026@orgao.example.gov.br"}, "", nil},
		{"encoded-params.eml", parseWant{textHas: []string{"Corpo."}, attachments: []string{"Requerimento.pdf", "Declaração – assinada.txt", "Cartão.jpg", "anexo-4.xls", "winmail.dat"}}, "", func(t *testing.T, m *Message) {
			if got := string(m.Attachments[0].Data); got != "%PDF-" {
				t.Errorf("pdf data = %q", got)
			}
		}},
		{"messy-headers.eml", parseWant{subject: "Re: Substituição de servidor férias", fromName: "João “Teste”", fromEmail: "joao.teste@example.com", toNames: []string{"Silva, João", ""}, textHas: []string{"Texto com BOM e olá."}, attachments: []string{"convite.ics"}, attTypes: []string{"text/calendar"}}, "", func(t *testing.T, m *Message) {
			if strings.HasPrefix(m.Text, "\uFEFF") {
				t.Errorf("BOM kept in Text")
			}
			var to []string
			for _, a := range m.To {
				to = append(to, a.Email)
			}
			if !slices.Equal(to, []string{"joao.silva@example.org", "maria@example.org", "semfim@example.org"}) {
				t.Errorf("To = %q", to)
			}
			if len(m.Cc) != 2 || m.Cc[0].Name != "テスト" || m.Cc[1].Name != "한국" {
				t.Errorf("Cc = %+v", m.Cc)
			}
			if m.MessageID != "sem-colchetes-0006@example.com" {
				t.Errorf("MessageID = %q", m.MessageID)
			}
			if !slices.Equal(m.References, []string{"a@x", "b@x", "c@x"}) || !slices.Equal(m.InReplyTo, []string{"ack-000302-2026@orgao.example.gov.br"}) {
				t.Errorf("References = %q, InReplyTo = %q", m.References, m.InReplyTo)
			}
			if !slices.Equal(m.DeliveredTo, []string{"protocolo@orgao.example.gov.br", "protocolo+abc@orgao.example.gov.br"}) {
				t.Errorf("DeliveredTo = %q", m.DeliveredTo)
			}
			if m.ReturnPath == nil || *m.ReturnPath != "" {
				t.Errorf("ReturnPath = %v", m.ReturnPath)
			}
			if m.Date.IsZero() {
				t.Errorf("Date not parsed")
			}
			for _, bad := range []string{"cid:", "script", "javascript", "<img"} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("HTML keeps %q: %s", bad, m.HTML)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			m := parseEMLFile(t, filepath.Join("testdata", tt.file))
			checkParsed(t, m, tt.want)
			if tt.problem != "" && !slices.ContainsFunc(m.Problems, func(p string) bool { return strings.Contains(p, tt.problem) }) {
				t.Errorf("Problems = %q, want one with %q", m.Problems, tt.problem)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestParseHeaderDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  string // raw Subject value
		subject string
	}{
		{"inner spaces in Q word", "=?UTF-8?Q? Solicita=C3=A7=C3=A3o de f=C3=A9rias - acesso ao portal?=", "Solicitação de férias - acesso ao portal"},
		{"adjacent words joined", "=?utf-8?q?Ol=C3?= =?utf-8?q?=A1_mundo?=", "Olá mundo"},
		{"partially encoded", "Re: [Protocolo 1] =?ISO-8859-1?Q?Reclama=E7=E3o?= urgente", "Re: [Protocolo 1] Reclamação urgente"},
		{"windows-1252 in iso-8859-1 word", "=?iso-8859-1?Q?=93aspas=94_=96_tra=E7o?=", "“aspas” – traço"},
		{"raw utf-8", "Solicitação de matrícula", "Solicitação de matrícula"},
		{"raw latin-1", "Solicita\xe7\xe3o", "Solicitação"},
		{"iso-2022-jp", "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"},
		{"euc-kr", "=?euc-kr?B?x9GxuQ==?=", "한국"},
		{"language suffix", "=?UTF-8*pt-BR?Q?Of=C3=ADcio?=", "Ofício"},
		{"glued to text", "Assunto:=?utf-8?Q?caf=C3=A9?=!", "Assunto:café!"},
		{"unterminated word kept", "=?utf-8?Q?abc and more", "=?utf-8?Q?abc and more"},
		{"unknown charset falls back", "=?x-nada?Q?S=E3o_Paulo?=", "São Paulo"},
		{"base64 missing padding", "=?UTF-8?B?T2zDoQ?=", "Olá"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Parse([]byte("Subject: " + tt.header + "\r\n\r\nx\r\n"))
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
		})
	}
}

func TestParseAddresses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		want  []Address
	}{
		{"quoted comma", `Carlos Modelo <Carlos.Modelo@Example.ORG>, "Ficticia, Ana" <ana.ficticia@example.net>`,
			[]Address{{"Carlos Modelo", "carlos.modelo@example.org"}, {"Ficticia, Ana", "ana.ficticia@example.net"}}},
		{"trailing comma", `<test@dome.domain>,`, []Address{{"", "test@dome.domain"}}},
		{"empty address dropped", `"JOÃO" <>, ok@example.org`, []Address{{"", "ok@example.org"}}},
		{"missing bracket", `Fulano <fulano@example.org, beltrano@example.org`, []Address{{"Fulano", "fulano@example.org"}, {"", "beltrano@example.org"}}},
		{"comment name", `maria@example.org (Maria Exemplo)`, []Address{{"Maria Exemplo", "maria@example.org"}}},
		{"encoded name", `=?UTF-8?Q?Jo=C3=A3o?= <joao@example.org>`, []Address{{"João", "joao@example.org"}}},
		{"encoded name with spaces", `"=?UTF-8?Q? Jo=C3=A3o Silva?=" <joao@example.org>`, []Address{{"João Silva", "joao@example.org"}}},
		{"semicolons", `a@example.org; b@example.org`, []Address{{"", "a@example.org"}, {"", "b@example.org"}}},
		{"group", `undisclosed-recipients:;`, nil},
		{"unquoted comma in name", `Silva, Joao <joao@example.org>`, []Address{{"Joao", "joao@example.org"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Parse([]byte("To: " + tt.value + "\r\n\r\nx\r\n"))
			if !slices.Equal(m.To, tt.want) {
				t.Errorf("To = %+v, want %+v", m.To, tt.want)
			}
		})
	}
}

func TestParseReturnPathAndIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		rp     *string
		id     string
		refs   []string
	}{
		{"absent", "Subject: x", nil, "", nil},
		{"null path", "Return-Path: <>", strPtr(""), "", nil},
		{"path", "Return-Path: <Bounce@Example.ORG>", strPtr("bounce@example.org"), "", nil},
		{"bare message-id", "Message-ID: abc.123@example.org", nil, "abc.123@example.org", nil},
		{"references across headers", "References: <a@x>\r\nReferences: <b@x> <c@\r\n x>", nil, "", []string{"a@x", "b@x", "c@x"}},
		{"references without brackets", "References: a@x, b@x", nil, "", []string{"a@x", "b@x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Parse([]byte(tt.header + "\r\n\r\nbody\r\n"))
			if (m.ReturnPath == nil) != (tt.rp == nil) || (m.ReturnPath != nil && *m.ReturnPath != *tt.rp) {
				t.Errorf("ReturnPath = %v, want %v", m.ReturnPath, tt.rp)
			}
			if m.MessageID != tt.id {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.id)
			}
			if !slices.Equal(m.References, tt.refs) {
				t.Errorf("References = %q, want %q", m.References, tt.refs)
			}
		})
	}
}

func strPtr(s string) *string { return &s }

func TestParseBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		raw   string
		text  string
		probs bool
	}{
		{"no body", "Subject: vazio\r\n", "", false},
		{"no header", "apenas texto\r\n", "apenas texto", true},
		{"qp soft breaks and bad escapes", "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nol=C3=A1 =\r\nmundo =XY=3d\r\n", "olá mundo =XY=", false},
		{"us-ascii label with cp1252 byte", "Content-Type: text/plain; charset=us-ascii\r\n\r\nfim \x96 ok\r\n", "fim – ok", false},
		{"utf-8 label with latin-1 byte", "Content-Type: text/plain; charset=utf-8\r\n\r\nol\xe1 \xc3\xa9\r\n", "olá é", true},
		{"format=flowed", "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\numa linha \r\nque continua\r\n> citado \r\n> junto\r\n", "uma linha que continua\n> citado junto", false},
		{"multipart without delimiters", "Content-Type: multipart/mixed; boundary=x\r\n\r\nsó texto\r\n", "só texto", true},
		{"base64 text", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nb2zDoSBtdW5kbw==\r\n", "olá mundo", false},
		{"html only derived text", "Content-Type: text/html\r\n\r\n<p>um</p><p>dois<br>três</p>", "um\n\ndois\ntrês", false},
		{"html too deep for a tree", "Content-Type: text/html\r\n\r\n" + strings.Repeat("<b>", 600) + "fundo <img src=\"cid:x\">", "fundo", true},
		{"koi8-r declared", "Content-Type: text/plain; charset=koi8-r\r\n\r\n\xd4\xc5\xd3\xd4\r\n", "тест", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Parse([]byte(tt.raw))
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			if tt.probs != (len(m.Problems) > 0) {
				t.Errorf("Problems = %q, want some: %v", m.Problems, tt.probs)
			}
		})
	}
}

func TestParseCIDResolution(t *testing.T) {
	t.Parallel()
	raw := "Content-Type: multipart/related; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<p><img src="cid:logo@x"><img src="CID:%3Cfoto@x%3E"><img src="cid:nada@x"><span style="background:url(cid:logo@x)">t</span> cid: no texto</p>` + "\r\n" +
		"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n" +
		"--r\r\nContent-Type: image/jpeg\r\nContent-ID: <foto@x>\r\n\r\nJPEG\r\n" +
		"--r\r\nContent-Type: image/gif\r\nContent-ID: <sobra@x>\r\n\r\nGIF\r\n--r--\r\n"
	m := Parse([]byte(raw))
	if len(m.Attachments) != 3 {
		t.Fatalf("%d attachments", len(m.Attachments))
	}
	for _, s := range []string{`src="attachment:0"`, `src="attachment:1"`} {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("HTML lacks %s: %s", s, m.HTML)
		}
	}
	if strings.Contains(strings.ToLower(m.HTML), "cid:") || strings.Contains(m.HTML, "nada@x") {
		t.Errorf("HTML keeps cid references: %s", m.HTML)
	}
	if !m.Attachments[0].Inline || !m.Attachments[1].Inline || m.Attachments[2].Inline {
		t.Errorf("inline flags = %v %v %v", m.Attachments[0].Inline, m.Attachments[1].Inline, m.Attachments[2].Inline)
	}
	if m.Attachments[0].Filename != "anexo-1.png" || m.Attachments[2].Filename != "anexo-3.gif" {
		t.Errorf("generated names %q %q", m.Attachments[0].Filename, m.Attachments[2].Filename)
	}
}

func TestParseLargeAttachment(t *testing.T) {
	const size = 25 << 20
	data := bytes.Repeat([]byte("Tramita\x00\xff"), size/9+1)[:size]
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nContent-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nsegue\r\n--big\r\n")
	sb.WriteString("Content-Type: application/octet-stream; name=grande.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(data)
	for i := 0; i < len(enc); i += 76 {
		sb.WriteString(enc[i:min(i+76, len(enc))])
		sb.WriteString("\r\n")
	}
	sb.WriteString("--big--\r\n")
	raw := []byte(sb.String())
	sb.Reset()
	enc = ""

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := Parse(raw)
	runtime.ReadMemStats(&after)
	if len(m.Attachments) != 1 || !bytes.Equal(m.Attachments[0].Data, data) {
		t.Fatalf("attachment not decoded exactly")
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(2 * size); alloc > limit {
		t.Errorf("Parse allocated %d MiB for a %d MiB attachment (limit %d MiB)", alloc>>20, size>>20, limit>>20)
	}
	t.Logf("allocated %s for a %d MiB attachment", fmt.Sprintf("%.1f MiB", float64(alloc)/(1<<20)), size>>20)
}

// hostileInputs are 1 MiB inputs that once made parsing quadratic. Their
// speed is measured by BenchmarkParseHostileInputs (not asserted in a timed
// test); TestParseHostileInputs checks they parse without internal errors.
func hostileInputs() []struct{ name, raw string } {
	const n = 1 << 20
	return []struct{ name, raw string }{
		{"unterminated encoded words", "Subject: " + strings.Repeat("=?a?q?", n/6) + "\r\n\r\nx"},
		{"words ending far away", "Subject: " + strings.Repeat("=?utf-8?q?x ", n/12) + "?=\r\n\r\nx"},
		{"address list of commas in brackets", "To: <" + strings.Repeat("a@b,", n/4) + "\r\n\r\nx"},
		{"address list of colons", "To: " + strings.Repeat("a:", n/2) + "\r\n\r\nx"},
		{"many parameters", "Content-Type: text/plain; " + strings.Repeat("name*1*=%41; ", n/13) + "\r\n\r\nx"},
		{"many boundaries", "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("--b\r\n\r\n", n/7)},
		{"deep nesting", strings.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 5000)},
		{"many colon-less header lines", "References: <a\r\n" + strings.Repeat("b=c\r\n", n/5) + "\r\nx"},
	}
}

// BenchmarkParseHostileInputs measures Parse on each hostile input; compare
// with BenchmarkParseHostileBaseline (a plain 1 MiB text message) of the
// same run: a ratio far above 10 means a quadratic path came back.
func BenchmarkParseHostileInputs(b *testing.B) {
	for _, tt := range hostileInputs() {
		raw := []byte(tt.raw)
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				Parse(raw)
			}
		})
	}
}

// BenchmarkParseHostileBaseline parses a well-formed 1 MiB text message.
func BenchmarkParseHostileBaseline(b *testing.B) {
	raw := []byte("From: a@b.example\r\nSubject: x\r\n\r\n" + strings.Repeat("linha de texto comum\r\n", 1<<20/22))
	for b.Loop() {
		Parse(raw)
	}
}

func TestParseHostileInputs(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileInputs() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := Parse([]byte(tt.raw))
			if string(m.Raw) != tt.raw {
				t.Error("raw bytes not kept")
			}
			for _, p := range m.Problems {
				if strings.HasPrefix(p, "internal parser error") {
					t.Error(p)
				}
			}
		})
	}
}
