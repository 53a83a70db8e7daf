package mailout_test

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current templates")

var goldenOrg = core.Organization{Name: "Companhia de Saneamento Exemplo", NUPUnit: "23037",
	Address: "protocolo@saneamento.example.gov.br", Timezone: "America/Maceio", TagWord: "Protocolo"}

var goldenNumber = core.Number{Unit: "23037", Seq: 42, Year: 2026}.String()

// goldenDelivery is a claimed notification of kind as core would return it,
// its data decoded from JSON as it comes from the database.
func goldenDelivery(t testing.TB, kind core.NotificationKind) core.Delivery {
	t.Helper()
	opened := time.Date(2026, 11, 25, 13, 30, 0, 0, time.UTC)
	deadline := time.Date(2026, 12, 10, 2, 59, 0, 0, time.UTC)
	legal := time.Date(2026, 12, 28, 2, 59, 0, 0, time.UTC)
	p := &core.DeliveryProtocol{Number: goldenNumber, AccessKey: "K7XQ2MP9RD", Subject: "Solicitação de ligação de água",
		Status: core.StatusOpen, TypeCode: "LIGACAO", TypeName: "Ligação nova",
		TypeDescription: "Pedido de ligação de água ou esgoto em imóvel novo.", UnitCode: "GCOM", UnitName: "Gerência Comercial",
		OpenedAt: opened, Deadline: &deadline, LegalDeadline: &legal, LegalBasis: "Lei 13.460/2017, art. 16", Requester: core.Person{Name: "Joana Cidadã", Email: "joana.cidada@example.org"}}
	step := &core.DeliveryStep{N: 1, Kind: core.StepOpened, At: opened, AuthorName: "Joana Cidadã", AuthorEmail: "joana.cidada@example.org",
		ToUnit: "Gerência Comercial", Visibility: core.Public,
		Text:        "Bom dia,\nsolicito a ligação de água no imóvel da Rua das Flores, 123.\n\nObrigada.",
		Attachments: []core.AttachmentView{{Filename: "planta.pdf", ContentType: "application/pdf", Size: 245760}}}
	d := core.Delivery{Notification: core.Notification{ID: 7, Kind: kind, ProtocolID: 1, StepID: 1, To: []string{"joana.cidada@example.org"},
		MessageID: string(kind) + ".1.0011223344556677@saneamento.example.gov.br"}, Attempts: 1, Protocol: p, Step: step}
	staff := func() {
		d.To, d.StaffID, d.StaffName = []string{"ana.souza@saneamento.example.gov.br"}, 1, "Ana Souza"
		d.UnitID, d.Unit = 2, &core.Unit{ID: 2, Code: "GCOM", Name: "Gerência Comercial"}
	}
	var data map[string]any
	switch kind {
	case core.NotifyUnitNotice:
		staff()
		*step = core.DeliveryStep{N: 2, Kind: core.StepForwarded, At: opened.Add(time.Hour), AuthorName: "Carla Mendes",
			AuthorEmail: "carla.admin@saneamento.example.gov.br", FromUnit: "Protocolo Geral", ToUnit: "Gerência Comercial",
			Visibility: core.Private, Text: "ignored: data carries the dispatch"}
		data = map[string]any{"event": "forwarded", "dispatch": "Favor verificar a viabilidade técnica.\nVistoria já agendada.", "deadline": deadline}
	case core.NotifyStatusUpdate:
		data = map[string]any{"events": []string{"forwarded", "suspended"}, "unit": "GOPE", "unit_name": "Gerência de Operações",
			"status": "suspended", "reason": "aguardando vistoria no local", "dispatch": "Encaminhado para a equipe de campo.",
			"new_deadline": deadline}
	case core.NotifyConclusion:
		p.Status, p.LegalDeadline, p.Result = core.StatusConcluded, nil, "parcialmente procedente"
		data = map[string]any{"result": "parcialmente procedente", "survey_token": "AB12CD34", "dispatch": "A ligação foi aprovada."}
	case core.NotifyReply:
		*step = core.DeliveryStep{N: 3, Kind: core.StepReply, FromUnit: "Gerência Comercial", Visibility: core.Public,
			Text: "A ligação foi aprovada.\nA equipe fará a instalação em até 10 dias úteis."}
	case core.NotifyRequesterMessage:
		staff()
		*step = core.DeliveryStep{N: 4, Kind: core.StepMessage, AuthorName: "Joana Cidadã", AuthorEmail: "joana.cidada@example.org",
			Visibility: core.Public, Text: "Segue o comprovante de residência.",
			Attachments: []core.AttachmentView{{Filename: "comprovante.jpg", Size: 1887437}}}
	case core.NotifyCommandResult:
		staff()
		data = map[string]any{"applied": true, "help": "#ajuda         esta tabela\n#encaminhar X  encaminha à unidade X", "lines": []core.TranscriptLine{
			{Line: "#encaminhar GOPE", OK: true, Result: "encaminhado para Gerência de Operações"},
			{Line: "#prazo 5du", OK: true, Result: "prazo: 04/12/2026 23:59"}}}
	case core.NotifyCommandRejected:
		staff()
		data = map[string]any{"reason": "a mensagem não passou na verificação DMARC do domínio do remetente",
			"subject": "Re: Solicitação de ligação de água", "from": "ana.souza@saneamento.example.gov.br"}
	case core.NotifyOutsideRecipients:
		staff()
		d.StepID, d.Step = 0, nil
		data = map[string]any{"outside": []string{"joana.cidada@example.org", "vizinho@example.net"}, "outside_count": 3,
			"subject": "Re: Solicitação de ligação de água", "token_expires": legal}
	case core.NotifyDeliveryFailed:
		staff()
		d.StepID, d.Step = 0, nil
		data = map[string]any{"failed": []string{"joana.cidada@example.org (550 5.1.1)"}, "undelivered": "ack"}
	case core.NotifyWebConfirm:
		d.ProtocolID, d.StepID, d.Protocol, d.Step = 0, 0, nil, nil
		data = map[string]any{"confirm_path": "/novo/confirmar/AQFmA2Qx9o", "subject": "Vazamento na calçada",
			"type_name": "Vazamento", "requester_name": "Joana Cidadã", "expires_at": deadline}
	case core.NotifyTooLarge:
		d.ProtocolID, d.StepID, d.Protocol, d.Step = 0, 0, nil, nil
		data = map[string]any{"size": 32_715_571, "limit": 26_214_400, "subject": "Fotos do vazamento"}
	case core.NotifyReminderDueSoon, core.NotifyReminderDue:
		staff()
		d.StepID, d.Step = 0, nil
		data = map[string]any{"deadline": deadline, "unit": "GCOM", "unit_name": "Gerência Comercial", "late_hours": 0}
	case core.NotifySignInLink:
		staff()
		d.ProtocolID, d.StepID, d.Protocol, d.Step = 0, 0, nil, nil
		data = map[string]any{"link": "https://protocolo.saneamento.example.gov.br/gestao/entrar/link/c2lnbmluLXRva2Vu", "expires": deadline}
	case core.NotifyIntakeAlert:
		staff()
		d.ProtocolID, d.StepID, d.Protocol, d.Step = 0, 0, nil, nil
		data = map[string]any{"door": "imap", "since": opened, "failures": 7, "refused": true, "recovered": false,
			"reason": "logging in: the mail server refused a freshly issued OAuth token: NO [AUTHENTICATIONFAILED] Authentication failed."}
	case core.NotifyOverdueDigest:
		staff()
		d.ProtocolID, d.StepID, d.Protocol, d.Step = 0, 0, nil, nil
		data = map[string]any{"unit": "GCOM", "day": "2026-12-11", "protocols": []core.OverdueEntry{
			{Number: goldenNumber, Subject: "Solicitação de ligação de água", Deadline: deadline, Kind: "handoff"},
			{Number: goldenNumber, Subject: "Solicitação de ligação de água", Deadline: legal, Kind: "legal"},
			{Number: core.Number{Unit: "23037", Seq: 57, Year: 2026}.String(), Subject: "Segunda via de conta", Deadline: deadline.Add(24 * time.Hour)}}}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d.Data); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestGolden renders every kind in every language and compares subject and
// text (KIND.txt) and HTML (KIND.html) with testdata/golden/LANG; run with
// -update to rewrite them after a template change, then read the diff.
func TestGolden(t *testing.T) {
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range core.AllNotificationKinds() {
			t.Run(lang+"/"+string(kind), func(t *testing.T) {
				d := goldenDelivery(t, kind)
				out, err := r.Render(kind, mailout.NewView(d, goldenOrg, lang, "https://protocolo.saneamento.example.gov.br"))
				if err != nil {
					t.Fatal(err)
				}
				text := "Subject: " + mailout.Subject(goldenOrg, d, out.Subject) + "\n\n" + out.Text
				golden(t, filepath.Join("testdata", "golden", lang, string(kind)+".txt"), text)
				golden(t, filepath.Join("testdata", "golden", lang, string(kind)+".html"), out.HTML)
				if strings.HasPrefix(out.Text, mailout.ReplyMarker+"\n") != (d.ProtocolID != 0) {
					t.Errorf("text part starts with the reply marker: %v; want it only on mail about a protocol",
						strings.HasPrefix(out.Text, mailout.ReplyMarker+"\n"))
				}
				hasKey := strings.Contains(out.Text, "K7XQ2MP9RD") || strings.Contains(out.HTML, "K7XQ2MP9RD")
				if hasKey != (kind.Info().AccessKey == core.KeyEveryCopy) {
					t.Errorf("access key shown: %v", hasKey)
				}
			})
		}
	}
}

// TestReplyMarkerOnlyOnProtocolMail: the reply marker and the footers
// inviting a reply appear exactly on mail about a protocol, whose replies
// are read on it; a sign-in link, a web confirmation, an alert, a digest
// or a transcript about no protocol (an opening on someone's behalf that
// failed) has neither, since a reply to it is recorded and opens nothing.
func TestReplyMarkerOnlyOnProtocolMail(t *testing.T) {
	t.Parallel()
	invites := []string{"responda a esta mensagem", "reply to this message", "Responda acima", "Reply above"}
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		var ds []core.Delivery
		for _, kind := range core.AllNotificationKinds() {
			ds = append(ds, goldenDelivery(t, kind))
		}
		failed := goldenDelivery(t, core.NotifyCommandResult) // #requerente missing: nothing opened
		failed.ProtocolID, failed.StepID, failed.Protocol, failed.Step = 0, 0, nil, nil
		failed.Data = map[string]any{"applied": false, "lines": []any{map[string]any{"line": "(abertura)", "ok": false, "result": "informe #requerente"}}}
		ds = append(ds, failed)
		for _, d := range ds {
			out, err := r.Render(d.Kind, mailout.NewView(d, goldenOrg, lang, "https://p.example"))
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{out.Text, out.HTML} {
				has := false
				for _, s := range invites {
					has = has || strings.Contains(part, s)
				}
				if has != (d.ProtocolID != 0) {
					t.Errorf("%s/%s (protocol %d): invites a reply: %v", lang, d.Kind, d.ProtocolID, has)
				}
			}
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mailout -run TestGolden -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the rendering (run with -update and review the diff):\n--- got ---\n%s", path, got)
	}
}

func TestUserTextCannotInjectMarkup(t *testing.T) {
	t.Parallel()
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	hostile := `Oi <script>alert(1)</script> [clique](http://evil.example) ![x](http://evil.example/a.png) <http://evil.example> <img src=x onerror=y> &amp; **negrito** _itálico_ ` + "`code`"
	for _, kind := range []core.NotificationKind{core.NotifyAck, core.NotifyUnitNotice, core.NotifyReply, core.NotifyRequesterMessage} {
		d := goldenDelivery(t, kind)
		d.Protocol.Subject = hostile + "\r\nBcc: victim@example.org"
		d.Protocol.Requester.Name = hostile
		d.Step.Text = "# Título\n\n    indented\n1. lista\n- item\n" + hostile
		d.Step.Attachments = []core.AttachmentView{{Filename: "<b>a</b>.pdf", Size: 10}}
		d.Data = map[string]any{}
		out, err := r.Render(kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example"))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"<script", "<a href=\"http://evil", "<img", "<b>", "<strong>negrito", "<em>", "<code>", "<h1>", "<pre>", "<ol>"} {
			if strings.Contains(out.HTML, bad) {
				t.Errorf("%s: HTML contains %q", kind, bad)
			}
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "[clique](http://evil.example)", "&amp;amp; **negrito**"} {
			if !strings.Contains(out.HTML, want) {
				t.Errorf("%s: HTML lacks the text %q as written", kind, want)
			}
		}
		if !strings.Contains(out.Text, hostile) {
			t.Errorf("%s: text part changed the user's text", kind)
		}
		if strings.ContainsAny(out.Subject, "\r\n") {
			t.Errorf("%s: subject spans lines: %q", kind, out.Subject)
		}
	}
}

func TestSubjectCarriesTheTagOnce(t *testing.T) {
	t.Parallel()
	d := goldenDelivery(t, core.NotifyStatusUpdate)
	for _, subject := range []string{"Conta alta", "[Protocolo " + goldenNumber + "] Conta alta", "Conta alta [protocolo " + goldenNumber + "]"} {
		if got, want := mailout.Subject(goldenOrg, d, subject), "[Protocolo "+goldenNumber+"] Conta alta"; got != want {
			t.Errorf("Subject(%q) = %q, want %q", subject, got, want)
		}
	}
	other := goldenOrg
	other.TagWord = "Processo"
	if got := mailout.Subject(other, d, "X"); got != "[Processo "+goldenNumber+"] X" {
		t.Errorf("tag word: %q", got)
	}
	d.Protocol = nil
	if got := mailout.Subject(goldenOrg, d, "Mensagem não processada"); got != "Mensagem não processada" {
		t.Errorf("without protocol: %q", got)
	}
}

// TestAutoSubmitted: RFC 3834 §5 — "auto-replied" only for what answers a
// message of the recipient, "auto-generated" for the rest. Every kind of
// core's table is built into a message and its header checked against the
// table's AutoReplied; the kinds RFC 3834 names here (the acknowledgement,
// the too-large answer) are checked to be marked so in the table.
func TestAutoSubmitted(t *testing.T) {
	t.Parallel()
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:test-secret-long-enough")
	for _, k := range core.NotificationKinds() {
		d := goldenDelivery(t, k.Kind)
		out, err := r.Render(k.Kind, mailout.NewView(d, goldenOrg, "pt-BR", "https://p.example"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mailout.Message(d, out, mailout.Envelope{Org: goldenOrg, Recipient: d.To[0], Keys: keys, Date: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		want := "auto-generated"
		if k.AutoReplied {
			want = "auto-replied"
		}
		if got := m.GetGenHeader("Auto-Submitted"); len(got) != 1 || got[0] != want {
			t.Errorf("%s: Auto-Submitted %q, want %q", k.Kind, got, want)
		}
	}
	for _, kind := range []core.NotificationKind{core.NotifyAck, core.NotifyTooLarge} {
		if !kind.Info().AutoReplied {
			t.Errorf("%s answers the requester's message but is not AutoReplied in core's table", kind)
		}
	}
}

// TestClosingLineIsOne: every staff mail of a language ends with the same
// closing line, and every requester mail carries the same signature (the
// English ones had drifted apart: "service of X" and "service — X").
func TestClosingLineIsOne(t *testing.T) {
	t.Parallel()
	signature := map[string]string{
		"pt-BR": "Atenciosamente,\n\n" + goldenOrg.Name + "\n\nEsta mensagem foi enviada automaticamente pelo serviço de protocolo.",
		"en":    "Kind regards,\n\n" + goldenOrg.Name + "\n\nThis message was sent automatically by the protocol service.",
	}
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		closings := map[string][]core.NotificationKind{}
		for _, k := range core.NotificationKinds() {
			out, err := r.Render(k.Kind, mailout.NewView(goldenDelivery(t, k.Kind), goldenOrg, lang, "https://p.example"))
			if err != nil {
				t.Fatal(err)
			}
			if k.ToRequester {
				if !strings.Contains(out.Text, signature[lang]) {
					t.Errorf("%s/%s: no requester signature %q", lang, k.Kind, signature[lang])
				}
				continue
			}
			paras := strings.Split(strings.TrimSpace(out.Text), "\n\n")
			last := paras[len(paras)-1]
			closings[last] = append(closings[last], k.Kind)
		}
		if len(closings) != 1 {
			t.Errorf("%s: staff mail ends in %d different ways: %v", lang, len(closings), closings)
		}
	}
}

// TestMailStatusLabels: the mail names a status with core's label, the
// word the lookup page and the CLI use (it said "em andamento" where the
// page said "Aberto").
func TestMailStatusLabels(t *testing.T) {
	t.Parallel()
	prefix := map[string][2]string{"pt-BR": {"- Situação: ", "Situação atual: "}, "en": {"- Status: ", "Current status: "}}
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range core.Statuses() {
			for i, kind := range []core.NotificationKind{core.NotifyUnitNotice, core.NotifyStatusUpdate} {
				d := goldenDelivery(t, kind)
				d.Protocol.Status = st.Status
				d.Data["status"] = string(st.Status)
				out, err := r.Render(kind, mailout.NewView(d, goldenOrg, lang, "https://p.example"))
				if err != nil {
					t.Fatal(err)
				}
				if want := prefix[lang][i] + st.Label.In(lang); !strings.Contains(out.Text, want) {
					t.Errorf("%s/%s/%s: no %q in\n%s", lang, kind, st.Status, want, out.Text)
				}
			}
		}
	}
}

// TestDeliveryFailedNamesTheKind: the notice of a failed delivery names
// the undelivered mail with core's label of its kind.
func TestDeliveryFailedNamesTheKind(t *testing.T) {
	t.Parallel()
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range core.NotificationKinds() {
			if !k.RecordsFailures {
				continue
			}
			d := goldenDelivery(t, core.NotifyDeliveryFailed)
			d.Data["undelivered"] = string(k.Kind)
			out, err := r.Render(core.NotifyDeliveryFailed, mailout.NewView(d, goldenOrg, lang, "https://p.example"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.Text, k.Label.In(lang)) {
				t.Errorf("%s: %s not named %q", lang, k.Kind, k.Label.In(lang))
			}
		}
	}
}

func TestMissingOrBrokenTemplateFailsAtStartup(t *testing.T) {
	t.Parallel()
	base := fstest.MapFS{}
	err := fs.WalkDir(templates.Mail(), ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templates.Mail(), path)
		base[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailout.NewRenderer(base, "en"); err != nil {
		t.Fatalf("complete templates: %v", err)
	}
	cases := []struct {
		name, file, content, want string
	}{
		{"missing", "en/reply.md", "", "en/reply.md"},
		{"unknown field", "pt-BR/ack.md", "{{.Subject}}\n---\n{{.Nope}}\n", "pt-BR/ack.md"},
		{"unknown field in an else branch", "en/ack.md", "{{.Subject}}\n---\n{{if .Number}}ok{{else}}{{.Nope}}{{end}}\n", "en/ack.md"},
		{"no separator", "pt-BR/too_large.md", "just a body\n", "pt-BR/too_large.md"},
		{"no partials", "en/_partials.md", "", "en/_partials.md"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range base {
				fsys[k] = v
			}
			if c.content == "" {
				delete(fsys, c.file)
			} else {
				fsys[c.file] = &fstest.MapFile{Data: []byte(c.content)}
			}
			// The chosen language does not matter: every language is checked.
			_, err := mailout.NewRenderer(fsys, "pt-BR")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewRenderer: %v, want an error naming %s", err, c.want)
			}
		})
	}
	if _, err := mailout.NewRenderer(base, "fr"); err == nil {
		t.Error("unknown language accepted")
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]string{"": "pt-BR", "pt": "pt-BR", "pt_BR": "pt-BR", "PT-br": "pt-BR", "en": "en", "en-US": "en", "en_GB": "en"} {
		if got, err := mailout.ParseLanguage(in); err != nil || got != want {
			t.Errorf("ParseLanguage(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestUnattendedUnitNotice: a notice that reached an administrator because
// its unit has nobody says so, naming the unit.
func TestUnattendedUnitNotice(t *testing.T) {
	t.Parallel()
	want := map[string]string{"pt-BR": "Você recebe este aviso como administrador: a unidade Gerência Comercial não tem servidor ativo",
		"en": "You get this notice as an administrator: the unit Gerência Comercial has no active member"}
	for _, lang := range mailout.Languages() {
		r, err := mailout.NewRenderer(templates.Mail(), lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []core.NotificationKind{core.NotifyReminderDue, core.NotifyOverdueDigest, core.NotifyUnitNotice} {
			d := goldenDelivery(t, kind)
			d.Data["unattended_unit"] = true
			out, err := r.Render(kind, mailout.NewView(d, goldenOrg, lang, "https://p.example"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.Text, want[lang]) {
				t.Errorf("%s/%s: no %q in\n%s", lang, kind, want[lang], out.Text)
			}
			d.Data["unattended_unit"] = false
			if out, _ := r.Render(kind, mailout.NewView(d, goldenOrg, lang, "https://p.example")); strings.Contains(out.Text, want[lang]) {
				t.Errorf("%s/%s: says unattended when the unit has people", lang, kind)
			}
		}
	}
}
