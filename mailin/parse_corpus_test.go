package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// parseSharedDir returns ../../shared/<name> (the real-message corpus and the
// regression cases, kept outside the repository for licence reasons) and
// skips the test only when that folder does not exist.
func parseSharedDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", name)
	st, err := os.Stat(dir)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", dir)
	}
	if err != nil {
		t.Fatalf("stat %s: %v", dir, err)
	}
	if !st.IsDir() {
		t.Fatalf("%s is not a directory", dir)
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // filepath.WalkDir does not enter a symlinked root
	}
	return dir
}

// parseEMLFile reads and parses one message file.
func parseEMLFile(t *testing.T, path string) *Message {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	m := Parse(raw)
	if m == nil {
		t.Fatalf("Parse(%s) returned nil", path)
	}
	if !bytes.Equal(m.Raw, raw) {
		t.Fatalf("Parse(%s): Raw not kept", path)
	}
	return m
}

// mojibakeRe matches UTF-8 read as Latin-1/Windows-1252 ("Ã£", "â€™").
var mojibakeRe = regexp.MustCompile(`[ÃÂ][\x{80}-\x{BF}¡-¿]|â€`)

// corpusDirtyText lists corpus files whose text cannot be decoded cleanly by
// design: KOI8-R bytes with no charset declared are read as Windows-1252.
var corpusDirtyText = map[string]bool{
	"charset/rt-russian-subject-no-content-type.eml": true,
}

func TestCorpusParsesEveryFile(t *testing.T) {
	t.Parallel()
	dir := parseSharedDir(t, "corpus")
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".eml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no .eml files under %s", dir)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			m := parseEMLFile(t, path)
			for _, p := range m.Problems {
				if strings.HasPrefix(p, "internal parser error") {
					t.Errorf("panic recovered: %s", p)
				}
			}
			if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
				t.Errorf("neither text nor attachments")
			}
			if corpusDirtyText[rel] {
				return
			}
			for field, s := range map[string]string{"Text": m.Text, "Subject": m.Subject} {
				if strings.ContainsRune(s, '\uFFFD') {
					t.Errorf("%s has U+FFFD: %.200q", field, s)
				}
				if loc := mojibakeRe.FindStringIndex(s); loc != nil {
					t.Errorf("%s has mojibakeRe %q", field, s[max(0, loc[0]-20):min(len(s), loc[1]+20)])
				}
			}
			if strings.Contains(strings.ToLower(m.HTML), "cid:") {
				t.Errorf("HTML keeps a cid: reference")
			}
			for i, a := range m.Attachments {
				if a.Filename == "" || a.ContentType == "" {
					t.Errorf("attachment %d lacks name or type: %+v", i, a.Filename)
				}
			}
		})
	}
}

// parseWant describes what a spot check expects of one parsed message; zero
// values are not checked.
type parseWant struct {
	subject      string
	fromName     string
	fromEmail    string
	toNames      []string
	textHas      []string
	textFromHTML bool
	htmlHas      []string
	attachments  []string // file names, in order (a prefix of the list)
	attTypes     []string // content types, same order
	inline       []int    // indexes expected Inline
	references   []string
	noReport     bool
	reportType   string
	recipient    string
	status       string
	origRcpt     string
	origID       string
}

func checkParsed(t *testing.T, m *Message, w parseWant) {
	t.Helper()
	if w.subject != "" && m.Subject != w.subject {
		t.Errorf("Subject = %q, want %q", m.Subject, w.subject)
	}
	if w.fromName != "" || w.fromEmail != "" {
		if m.From == nil {
			t.Errorf("From = nil")
		} else {
			if w.fromName != "" && m.From.Name != w.fromName {
				t.Errorf("From.Name = %q, want %q", m.From.Name, w.fromName)
			}
			if w.fromEmail != "" && m.From.Email != w.fromEmail {
				t.Errorf("From.Email = %q, want %q", m.From.Email, w.fromEmail)
			}
		}
	}
	for i, n := range w.toNames {
		if i >= len(m.To) || m.To[i].Name != n {
			t.Errorf("To = %+v, want names %q", m.To, w.toNames)
			break
		}
	}
	for _, s := range w.textHas {
		if !strings.Contains(m.Text, s) {
			t.Errorf("Text lacks %q; Text = %.300q", s, m.Text)
		}
	}
	if w.textFromHTML && !m.TextFromHTML {
		t.Errorf("TextFromHTML = false")
	}
	for _, s := range w.htmlHas {
		if !strings.Contains(m.HTML, s) {
			t.Errorf("HTML lacks %q; HTML = %.300q", s, m.HTML)
		}
	}
	for i, n := range w.attachments {
		if i >= len(m.Attachments) {
			t.Errorf("only %d attachments, want %q", len(m.Attachments), w.attachments)
			break
		}
		if m.Attachments[i].Filename != n {
			t.Errorf("attachment %d name = %q, want %q", i, m.Attachments[i].Filename, n)
		}
		if i < len(w.attTypes) && m.Attachments[i].ContentType != w.attTypes[i] {
			t.Errorf("attachment %d type = %q, want %q", i, m.Attachments[i].ContentType, w.attTypes[i])
		}
	}
	for _, i := range w.inline {
		if i >= len(m.Attachments) || !m.Attachments[i].Inline {
			t.Errorf("attachment %d not inline", i)
		}
	}
	for _, r := range w.references {
		if !slices.Contains(m.References, r) {
			t.Errorf("References = %q, want to contain %q", m.References, r)
		}
	}
	if w.noReport && m.Report != nil {
		t.Errorf("Report = %+v, want nil", *m.Report)
	}
	if w.reportType == "" {
		return
	}
	if m.Report == nil {
		t.Fatalf("Report = nil, want %s", w.reportType)
	}
	r := m.Report
	if r.ReportType != w.reportType {
		t.Errorf("ReportType = %q, want %q", r.ReportType, w.reportType)
	}
	if w.origID != "" && r.OriginalMessageID != w.origID {
		t.Errorf("OriginalMessageID = %q, want %q", r.OriginalMessageID, w.origID)
	}
	if w.recipient == "" {
		return
	}
	if len(r.Recipients) == 0 {
		t.Fatalf("no report recipients, want %s", w.recipient)
	}
	rr := r.Recipients[0]
	if rr.Recipient != w.recipient || (w.status != "" && rr.Status != w.status) || rr.Action != "failed" {
		t.Errorf("recipient = %+v, want %s %s failed", rr, w.recipient, w.status)
	}
	if w.origRcpt != "" && rr.OriginalRecipient != w.origRcpt {
		t.Errorf("OriginalRecipient = %q, want %q", rr.OriginalRecipient, w.origRcpt)
	}
}

func TestCorpusSpotChecks(t *testing.T) {
	t.Parallel()
	dir := parseSharedDir(t, "corpus")
	frosche := "Die Hasen und die Frösche"
	tests := []struct {
		file string
		want parseWant
	}{
		{"charset/hunnysoft-m0010-windows-1252-qp.eml", parseWant{subject: frosche + " (Microsoft Outlook 00)", toNames: []string{"Heinz Müller"}, textHas: []string{"mißliche Lage", "ärger als der Tod"}}},
		{"charset/hunnysoft-m0001-outlook-8bit-headers.eml", parseWant{subject: frosche + " (Microsoft Outlook 00)", toNames: []string{"Jürgen Schmürgen"}, textHas: []string{"außerordentliche Getöse"}}},
		{"charset/enmime-utf8-labelled-us-ascii.eml", parseWant{textHas: []string{"∮ E⋅da = Q", "ði ıntəˈnæʃənəl"}}},
		{"charset/rt-new-ticket-iso-8859-1-8bit.eml", parseWant{fromName: "Teste João", textHas: []string{"João"}}},
		{"charset/enmime-html-bad-charset-param.eml", parseWant{textHas: []string{"Test of text section"}, htmlHas: []string{`src="attachment:0"`}, attachments: []string{"favicon.png"}, inline: []int{0}}},
		{"headers/enmime-qp-utf8-header.eml", parseWant{subject: "MIME UTF8 Test ¢ More Text", fromEmail: "maria.exemplo@example.com", toNames: []string{"João Fictício"}}},
		{"headers/mikel-partially-encoded-subject-euckr.eml", parseWant{subject: `Re: Test: "漢字" mid "漢字" tail`, textHas: []string{"대부분의 마찬가지로"}}},
		{"headers/mikel-references-one-invalid.eml", parseWant{references: []string{"foo@bar.net", "baz@bar.net"}, textHas: []string{"foo"}}},
		{"headers/mikel-rfc6532-utf8-headers.eml", parseWant{subject: "Säying Hello", fromName: "Jöhn Doe", fromEmail: "jdöe@mächine.example", toNames: []string{"Märy Smith"}}},
		{"headers/mikel-encoding-madness-reply-to.eml", parseWant{textHas: []string{"Body Text"}, fromEmail: "no-reply@crm.el-example.org"}},
		{"attachments/hunnysoft-m3004-pine-rfc2231-filename.eml", parseWant{subject: frosche, toNames: []string{"Joe Blow", "Heinz Müller"}, attachments: []string{"HasenundFrösche.txt"}, attTypes: []string{"text/plain"}}},
		{"attachments/rt-rfc2231-filename-continuations.eml", parseWant{subject: "Client ? Japanese Attachment Name issue", textHas: []string{"Some data in a file"}, attachments: []string{"新しいテキスト ドキュメント.txt"}}},
		{"attachments/mikel-attachment-rfc2047-unquoted-param.eml", parseWant{attachments: []string{"This is a test.pdf"}, attTypes: []string{"application/pdf"}}},
		{"attachments/enmime-bad-8bit-filename.eml", parseWant{textHas: []string{"Text part"}, attachments: []string{"管理.doc"}}},
		{"attachments/mikel-attachment-nonascii-filename.eml", parseWant{attachments: []string{"ciële.txt"}}},
		{"attachments/hunnysoft-m2011-eudora-8bit-binhex.eml", parseWant{subject: frosche, toNames: []string{"Jürgen Schmürgen"}, attachments: []string{"blueball.png", "HasenundFrösche.txt"}, attTypes: []string{"application/mac-binhex40"}}},
		{"attachments/hunnysoft-m4006-outlook-tnef-winmail.eml", parseWant{attachments: []string{"winmail.dat"}, attTypes: []string{"application/ms-tnef"}}},
		{"attachments/freescout-message-1symbols-filename-punct.eml", parseWant{subject: "386 - 400021804 - 19., Heiligenstädter Straße 80 - 0819306 - Anfrage Vergabevorschlag", attachments: []string{"Checkliste 10.,DAVIDGASSE 76-80;2;2.pdf"}}},
		{"attachments/mailparser-base64-image-root.eml", parseWant{attachments: []string{"screenshot.png"}, attTypes: []string{"image/png"}}},
		{"bounces/sisimai-gmail.eml", parseWant{reportType: "delivery-status", recipient: "userunknown@example.jp", status: "5.1.1", origID: "D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com"}},
		{"bounces/sisimai-rfc3464-sendmail.eml", parseWant{reportType: "delivery-status", recipient: "userunknown@bouncehammer.jp", status: "5.1.1", origID: "E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org"}},
		{"bounces/sisimai-office365.eml", parseWant{reportType: "delivery-status", recipient: "kijitora@example.com", status: "5.1.10", origID: "FFFFFFFF.EEEEEEEE@example.ed.jp", textHas: []string{"Delivery has failed"}}},
		{"bounces/sisimai-exchange2007.eml", parseWant{reportType: "delivery-status", recipient: "mikeneko@example.co.jp", status: "5.1.1"}},
		{"bounces/sisimai-postfix.eml", parseWant{reportType: "delivery-status", recipient: "r@p351355.pool.example.ne.jp", status: "5.1.1", origRcpt: "kijitora@example.org"}},
		{"bounces/mailparser-amazonses-dsn.eml", parseWant{reportType: "delivery-status", recipient: "xxxx@xxxx.com", status: "5.1.1", origID: "xxxxx@email.amazonses.com"}},
		{"bounces/sisimai-arf-feedback-report.eml", parseWant{reportType: "feedback-report", textHas: []string{"email abuse report"}}},
		{"forwarded/sisimai-original-as-attachment.eml", parseWant{noReport: true, textHas: []string{"it shouldn't be considered as bounce"}, attTypes: []string{"message/rfc822"}}},
		{"forwarded/mikel-attachment-message-rfc822.eml", parseWant{textHas: []string{"This is the first part."}, attachments: []string{"Another PDF.eml"}, attTypes: []string{"message/rfc822"}}},
		{"forwarded/rt-outlook-msg-rfc822-attachment.eml", parseWant{textHas: []string{"“Check out the attached file.” 😊"}, attTypes: []string{"message/rfc822"}}},
		{"forwarded/mikel-rfc822-with-inline-image.eml", parseWant{htmlHas: []string{`src="attachment:0"`}, attachments: []string{"img.png", "Another PDF.eml"}, inline: []int{0}}},
		{"html-only/enmime-non-mime-html.eml", parseWant{textFromHTML: true, textHas: []string{"This is a test mailing"}}},
		{"html-only/zammad-mail007-lotus-notes-html-only.eml", parseWant{textFromHTML: true, textHas: []string{"Hallo.\nJetzt muss ich dir noch kurzfristig absagen für morgen.\n", "Von: \"Carlos Modelo via Exemplo Team\""}}},
		{"inline-images/hunnysoft-m1005-netscape-related-alternative.eml", parseWant{textHas: []string{"mißliche Lage"}, attachments: []string{"nsmailEG.png", "nsmail39.png"}, inline: []int{0, 1}}},
		{"inline-images/enmime-apple-html-inline-png.eml", parseWant{textFromHTML: true, textHas: []string{"Test of HTML section"}, htmlHas: []string{`src="attachment:0"`}, inline: []int{0}}},
		{"calendar/nextcloud-imip-google-request.eml", parseWant{textHas: []string{"Imip Testing"}, attachments: []string{"convite.ics"}, attTypes: []string{"text/calendar"}}},
		{"calendar/nextcloud-imip-application-ics.eml", parseWant{attTypes: []string{"application/ics"}}},
		{"malformed/mikel-similar-boundaries.eml", parseWant{textHas: []string{"Test"}, attachments: []string{"LOGO.png"}}},
		{"malformed/freescout-message-2-dash-boundary.eml", parseWant{textHas: []string{"Special Comments\n-\nSee attached document"}, attachments: []string{"file.pdf"}}},
		{"malformed/enmime-bad-header-wrap.eml", parseWant{textHas: []string{"A text section"}, attachments: []string{"7DDA4_foo_9E5D72.zip"}}},
		{"malformed/enmime-bad-header-start.eml", parseWant{fromEmail: "maria.exemplo@example.com", textHas: []string{"A text section"}}},
		{"malformed/mikel-multiple-content-types.eml", parseWant{textHas: []string{"foo"}, htmlHas: []string{"<p>foo</p>"}}},
		{"transfer-encoding/enmime-bad-cte-base64-plaintext.eml", parseWant{textHas: []string{"ploozdect  nispplul"}}},
		{"transfer-encoding/mikel-cte-qp-with-space.eml", parseWant{textHas: []string{"Lots More Info Here"}, htmlHas: []string{"answer.<br/>"}}},
		{"auto-replies/sisimai-exchange-ooo-windows-1252.eml", parseWant{noReport: true, textHas: []string{"Client Service Support Team"}}},
		{"portuguese/qemu-devel-outlook-ptbr-reply.eml", parseWant{textHas: []string{"Departamento Computação Embarcada", "Assunto: Re: Discussion"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			checkParsed(t, parseEMLFile(t, filepath.Join(dir, filepath.FromSlash(tt.file))), tt.want)
		})
	}
}

func parseSHA256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestCaseParsing(t *testing.T) {
	t.Parallel()
	dir := parseSharedDir(t, "cases")
	tests := []struct {
		name  string
		check func(t *testing.T, m *Message)
	}{
		{"005-8bit-latin1-without-charset", func(t *testing.T, m *Message) {
			checkParsed(t, m, parseWant{subject: "Boleto não emitido", textHas: []string{"Não consigo emitir a 2ª via do boleto de novembro.", `"Operação inválida"`}})
		}},
		{"006-iso-8859-1-label-with-cp1252-quotes", func(t *testing.T, m *Message) {
			checkParsed(t, m, parseWant{textHas: []string{"“vamos trocar o cabo de rede” – mas ninguém voltou"}, htmlHas: []string{"“vamos trocar o cabo de rede” – mas"}})
			if strings.ContainsAny(m.Text+m.HTML, "\u0093\u0094\u0096") {
				t.Errorf("C1 controls left in text or HTML")
			}
			if !slices.Contains(m.InReplyTo, "status-000206-2026-1@orgao.example.gov.br") {
				t.Errorf("InReplyTo = %q", m.InReplyTo)
			}
		}},
		{"007-encoded-word-with-inner-spaces", func(t *testing.T, m *Message) {
			checkParsed(t, m, parseWant{subject: "Solicitação de férias - acesso ao portal", textHas: []string{"solicitação de férias"}})
		}},
		{"009-dsn-bounce-of-acknowledgement", func(t *testing.T, m *Message) {
			checkParsed(t, m, parseWant{reportType: "delivery-status", recipient: "cliente.inexistente@example.net", status: "5.1.1", origID: "ack-000209-2026@orgao.example.gov.br", textHas: []string{"could not\nbe delivered"}})
			if m.ReturnPath == nil || *m.ReturnPath != "" {
				t.Errorf("ReturnPath = %v, want pointer to \"\"", m.ReturnPath)
			}
		}},
		{"010-html-only-body", func(t *testing.T, m *Message) {
			checkParsed(t, m, parseWant{textFromHTML: true, htmlHas: []string{"O sistema de notas fiscais está fora do ar desde as 8h."}})
			lines := strings.Split(m.Text, "\n")
			for _, l := range []string{"Olá,", "O sistema de notas fiscais está fora do ar desde as 8h.", "Mensagem na tela: Serviço indisponível (503)."} {
				if !slices.Contains(lines, l) {
					t.Errorf("Text has no line %q; Text = %q", l, m.Text)
				}
			}
			for _, bad := range []string{"<", ">", "=3D", "=C3"} {
				if strings.Contains(m.Text, bad) {
					t.Errorf("Text contains %q", bad)
				}
			}
		}},
		{"011-rfc2231-continued-utf8-filename", func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 {
				t.Fatalf("%d attachments, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if a.Filename != "Relatório de manutenção preventiva – novembro.pdf" {
				t.Errorf("Filename = %q", a.Filename)
			}
			for _, frag := range []string{"%", "''", "*0*", "=?UTF-8?"} {
				if strings.Contains(a.Filename, frag) {
					t.Errorf("Filename contains %q", frag)
				}
			}
			if len(a.Data) != 98 || parseSHA256Hex(a.Data) != "ef1fe7a8497fa51cab97a33848efdbabfe569cca3bfd752254ac3fd6beb5c34d" {
				t.Errorf("data: %d bytes, sha256 %s", len(a.Data), parseSHA256Hex(a.Data))
			}
		}},
		{"012-inline-cid-image-without-disposition", func(t *testing.T, m *Message) {
			if len(m.Attachments) != 1 {
				t.Fatalf("%d attachments, want 1", len(m.Attachments))
			}
			a := m.Attachments[0]
			if !a.Inline || a.ContentType != "image/png" || len(a.Data) != 70 ||
				parseSHA256Hex(a.Data) != "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77" {
				t.Errorf("image: inline=%v type=%s %d bytes sha256 %s", a.Inline, a.ContentType, len(a.Data), parseSHA256Hex(a.Data))
			}
			if strings.Contains(strings.ToLower(m.HTML), "cid:") || !strings.Contains(m.HTML, `src="attachment:0"`) {
				t.Errorf("HTML = %q", m.HTML)
			}
		}},
		{"014-cc-participants-recorded-and-kept", func(t *testing.T, m *Message) {
			var got []string
			for _, a := range m.Cc {
				got = append(got, a.Email)
			}
			wantCc := []string{"carlos.modelo@example.org", "ana.ficticia@example.net", "protocolo@orgao.example.gov.br"}
			if !slices.Equal(got, wantCc) {
				t.Errorf("Cc = %q, want %q", got, wantCc)
			}
			if len(m.Cc) > 1 && m.Cc[1].Name != "Ficticia, Ana" {
				t.Errorf("Cc[1].Name = %q", m.Cc[1].Name)
			}
			if m.From == nil || m.From.Email != "maria.exemplo@example.org" {
				t.Errorf("From = %+v", m.From)
			}
			checkParsed(t, m, parseWant{textHas: []string{"das 9h às 12h."}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, parseEMLFile(t, filepath.Join(dir, tt.name+".eml")))
		})
	}
}
