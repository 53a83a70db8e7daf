package mailin_test

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
)

// Each test below is one case of ../shared/cases and checks what its
// .expect.md says (the checks about outbound mail that only the outbound
// mailer can show are in mailout's tests).

func casePath(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t, "cases"), name+".eml")
}

// notificationKinds counts the notifications of a result by kind.
func notificationKinds(res core.IngestResult) map[core.NotificationKind]int {
	m := map[core.NotificationKind]int{}
	for _, n := range res.Notifications {
		m[n.Kind]++
	}
	return m
}

func TestCase001ReplyAllFromCcColleague(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000201/2026-32", "maria.exemplo@example.org", []string{"carlos.modelo@example.org"},
		[]string{"CAJ7x-original-0001@mail.example.org"}, nil)
	res := h.ingestFile(casePath(t, "001-reply-all-from-cc-colleague"))
	if res.Outcome != core.OutcomeAppended || res.Protocol != "23037.000201/2026-32" {
		t.Fatalf("result %+v: want appended to 23037.000201/2026-32", res)
	}
	if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols, want 1", n)
	}
	v := h.show("23037.000201/2026-32")
	last := v.Steps[len(v.Steps)-1]
	if len(v.Steps) != 2 || last.Author != "carlos.modelo@example.org" || last.Kind != core.StepMessage {
		t.Errorf("steps %+v: want a new message step by carlos", v.Steps)
	}
	for kind := range notificationKinds(res) {
		if kind != core.NotifyRequesterMessage {
			t.Errorf("notification %s: only requester_message to the holding unit is allowed", kind)
		}
	}
	if notificationKinds(res)[core.NotifyRequesterMessage] == 0 {
		t.Error("the holding unit was not told")
	}
}

func TestCase002OutlookStackedPrefixes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000202/2026-87", "ana.ficticia@example.net", nil, nil, nil)
	res := h.ingestFile(casePath(t, "002-outlook-ptbr-res-enc-prefixes"))
	if res.Outcome != core.OutcomeAppended || res.Protocol != "23037.000202/2026-87" {
		t.Fatalf("result %+v: want appended to 23037.000202/2026-87 by the subject tag", res)
	}
	v := h.show("23037.000202/2026-87")
	if v.Subject != "Assunto original" {
		t.Errorf("subject changed to %q", v.Subject)
	}
	if v.Steps[len(v.Steps)-1].Author != "ana.ficticia@example.net" {
		t.Errorf("last step by %s", v.Steps[len(v.Steps)-1].Author)
	}
	if notificationKinds(res)[core.NotifyAck] != 0 || h.count(`SELECT count(*) FROM protocols`) != 1 {
		t.Error("an acknowledgement was queued or a protocol opened")
	}
}

func TestCase003TypedProtocolTag(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000203/2026-21", "joao.teste@example.org", nil, nil, nil)
	res := h.ingestFile(casePath(t, "003-new-mail-with-typed-protocol-tag"))
	if res.Outcome != core.OutcomeAppended || res.Protocol != "23037.000203/2026-21" {
		t.Fatalf("result %+v: want appended to 23037.000203/2026-21", res)
	}
	if n := h.count(`SELECT count(*) FROM protocols`); n != 1 {
		t.Errorf("%d protocols, want 1", n)
	}
}

func TestCase003TagFromStrangerOpensNewProtocol(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000203/2026-21", "someone.else@example.org", nil, nil, nil)
	res := h.ingestFile(casePath(t, "003-new-mail-with-typed-protocol-tag"))
	if res.Outcome != core.OutcomeCreated || res.Protocol == "23037.000203/2026-21" {
		t.Fatalf("result %+v: a tag naming someone else's protocol must not attach to it", res)
	}
	v := h.show(res.Protocol)
	if strings.Contains(v.Subject, "[Protocolo") {
		t.Errorf("new protocol subject %q keeps the other protocol's tag", v.Subject)
	}
}

func TestCase004EditedSubjectReplyToAck(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000204/2026-76", "pedro.amostra@example.net", nil, nil, []string{"ack-000204-2026@orgao.example.gov.br"})
	res := h.ingestFile(casePath(t, "004-edited-subject-reply-to-ack"))
	if res.Outcome != core.OutcomeAppended || res.Protocol != "23037.000204/2026-76" {
		t.Fatalf("result %+v: want appended by In-Reply-To", res)
	}
	if v := h.show("23037.000204/2026-76"); v.Subject != "Assunto original" {
		t.Errorf("subject changed to %q", v.Subject)
	}
}

func TestCase005Latin1WithoutCharset(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "005-8bit-latin1-without-charset"))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("result %+v: want created", res)
	}
	v := h.show(res.Protocol)
	if v.Subject != "Boleto não emitido" {
		t.Errorf("subject %q", v.Subject)
	}
	text := v.Steps[0].Text
	for _, want := range []string{"Não", "2ª", "Operação inválida", "Não consigo emitir a 2ª via do boleto de\nnovembro."} {
		if !strings.Contains(text, want) && !strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsRune(text, '\uFFFD') || strings.Contains(text, "Ã£") {
		t.Errorf("text has mojibake:\n%s", text)
	}
}

func TestCase006Latin1LabelWithCP1252Quotes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000206/2026-65", "fernanda.teste@example.com.br", nil, nil, []string{"status-000206-2026-1@orgao.example.gov.br"})
	res := h.ingestFile(casePath(t, "006-iso-8859-1-label-with-cp1252-quotes"))
	if res.Protocol != "23037.000206/2026-65" || res.Outcome != core.OutcomeAppended {
		t.Fatalf("result %+v: want appended to 23037.000206/2026-65", res)
	}
	v := h.show(res.Protocol)
	text := strings.Join(strings.Fields(v.Steps[len(v.Steps)-1].Text), " ")
	if !strings.Contains(text, "“vamos trocar o cabo de rede” – mas ninguém voltou") {
		t.Errorf("text %q lacks the Windows-1252 punctuation", text)
	}
	if strings.ContainsAny(text, "\u0093\u0094\u0096") {
		t.Errorf("C1 controls in %q", text)
	}
}

func TestCase007EncodedWordWithInnerSpaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "007-encoded-word-with-inner-spaces"))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("result %+v", res)
	}
	if v := h.show(res.Protocol); v.Subject != "Solicitação de férias - acesso ao portal" {
		t.Errorf("subject %q", v.Subject)
	}
}

func TestCase008OutOfOfficeIsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000208/2026-54", "beatriz.amostra@example.org", nil, nil, []string{"status-000208-2026-2@orgao.example.gov.br"})
	before := h.show("23037.000208/2026-54")
	res := h.ingestFile(casePath(t, "008-out-of-office-reply-to-status-update"))
	if res.Outcome != core.OutcomeRecorded || len(res.Notifications) != 0 {
		t.Fatalf("result %+v: want recorded with no notification", res)
	}
	if n := h.count(`SELECT count(*) FROM notifications`); n != 0 {
		t.Errorf("%d notifications queued, want 0", n)
	}
	after := h.show("23037.000208/2026-54")
	if after.Status != before.Status || after.Unit != before.Unit || (after.Deadline == nil) != (before.Deadline == nil) ||
		!after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("protocol state changed: %+v → %+v", before, after)
	}
	if last := after.Steps[len(after.Steps)-1]; last.Kind != core.StepAutoReply || last.Visibility != core.Private {
		t.Errorf("last step %+v: want a private auto_reply record", last)
	}
	if h.count(`SELECT count(*) FROM protocols`) != 1 {
		t.Error("a protocol was opened")
	}
}

func TestCase009DSNBounceOfAck(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000209/2026-07", "cliente.inexistente@example.net", nil, nil, []string{"ack-000209-2026@orgao.example.gov.br"})
	res := h.ingestFile(casePath(t, "009-dsn-bounce-of-acknowledgement"))
	if res.Outcome != core.OutcomeRecorded || res.Protocol != "23037.000209/2026-07" {
		t.Fatalf("result %+v: want recorded on 23037.000209/2026-07", res)
	}
	v := h.show("23037.000209/2026-07")
	if len(v.Failures) != 1 || v.Failures[0].Email != "cliente.inexistente@example.net" || v.Failures[0].Status != "5.1.1" {
		t.Errorf("delivery failures %+v: want cliente.inexistente 5.1.1", v.Failures)
	}
	// One delivery_failed notice per member of the holding unit (PROT has one).
	if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'delivery_failed'`); n != 1 {
		t.Errorf("%d delivery_failed notices, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE kind <> 'delivery_failed'
		OR 'cliente.inexistente@example.net' = ANY(to_addrs) OR 'mailer-daemon@mx.example.net' = ANY(to_addrs)`); n != 0 {
		t.Errorf("%d other notifications; nothing may go to the daemon or the failing address", n)
	}
	if h.count(`SELECT count(*) FROM protocols`) != 1 {
		t.Error("the DSN opened a protocol")
	}
	if !slices.ContainsFunc(v.Participants, func(p core.ParticipantView) bool {
		return p.Email == "cliente.inexistente@example.net" && p.Failing
	}) {
		t.Errorf("requester not marked as failing: %+v", v.Participants)
	}
}

// TestDSNFinalRecipientExpanded: when the receiving side expanded an alias,
// Final-Recipient is the expanded address; the participant is found by
// Original-Recipient, the address Tramita sent to (RFC 3464 §2.3.1).
func TestDSNFinalRecipientExpanded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000209/2026-07", "cliente.inexistente@example.net", nil, nil, []string{"ack-000209-2026@orgao.example.gov.br"})
	raw, err := os.ReadFile(casePath(t, "009-dsn-bounce-of-acknowledgement"))
	if err != nil {
		t.Fatal(err)
	}
	expanded := strings.Replace(string(raw), "Final-Recipient: rfc822; cliente.inexistente@example.net",
		"Final-Recipient: rfc822; c.inexistente.7731@mbox.example.net", 1)
	if expanded == string(raw) {
		t.Fatal("the case file changed: Final-Recipient line not found")
	}
	if res := h.ingest([]byte(expanded)); res.Outcome != core.OutcomeRecorded {
		t.Fatalf("result %+v", res)
	}
	v := h.show("23037.000209/2026-07")
	if !slices.ContainsFunc(v.Participants, func(p core.ParticipantView) bool {
		return p.Email == "cliente.inexistente@example.net" && p.Failing
	}) {
		t.Errorf("requester not marked as failing: %+v", v.Participants)
	}
}

func TestCase010HTMLOnlyBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "010-html-only-body"))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("result %+v", res)
	}
	v := h.show(res.Protocol)
	text := v.Steps[0].Text
	lines := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{"Olá,", "O sistema de notas fiscais está fora do ar desde as 8h.", "Mensagem na tela: Serviço indisponível (503)."} {
		if !lines[want] {
			t.Errorf("text lacks the line %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"<", "=3D", "=C3"} {
		if strings.Contains(text, bad) {
			t.Errorf("text contains %q:\n%s", bad, text)
		}
	}
	if !v.Steps[0].HasHTML {
		t.Error("sanitized HTML not kept")
	}
}

func TestCase011RFC2231ContinuedFilename(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "011-rfc2231-continued-utf8-filename"))
	v := h.show(res.Protocol)
	var files []core.AttachmentView
	for _, s := range v.Steps {
		files = append(files, s.Attachments...)
	}
	if len(files) != 1 {
		t.Fatalf("files %+v, want exactly one", files)
	}
	f := files[0]
	if f.Filename != "Relatório de manutenção preventiva – novembro.pdf" || f.Size != 98 ||
		f.SHA256 != "ef1fe7a8497fa51cab97a33848efdbabfe569cca3bfd752254ac3fd6beb5c34d" {
		t.Errorf("file %+v", f)
	}
}

func TestCase012InlineCIDImage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "012-inline-cid-image-without-disposition"))
	v := h.show(res.Protocol)
	var png *core.AttachmentView
	for _, s := range v.Steps {
		for i, a := range s.Attachments {
			if a.ContentType == "image/png" {
				png = &s.Attachments[i]
			}
		}
	}
	if png == nil || png.Size != 70 || !png.Inline || png.SHA256 != "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77" {
		t.Fatalf("inline PNG %+v", png)
	}
	var html string
	if err := h.pool.QueryRow(context.Background(), `SELECT html FROM steps WHERE protocol_id = (SELECT id FROM protocols WHERE number = $1) AND n = 1`,
		res.Protocol).Scan(&html); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "cid:") || !strings.Contains(html, "anexo:") {
		t.Errorf("stored HTML does not resolve cid: to the stored image:\n%s", html)
	}
}

func TestCase013GmailQuotedHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.seed("23037.000213/2026-67", "maria.exemplo@example.org", nil, nil, []string{"reply-000213-2026-1@orgao.example.gov.br"})
	path := casePath(t, "013-gmail-ptbr-quoted-history")
	res := h.ingestFile(path)
	if res.Protocol != "23037.000213/2026-67" {
		t.Fatalf("result %+v", res)
	}
	v := h.show(res.Protocol)
	text := strings.TrimSpace(v.Steps[len(v.Steps)-1].Text)
	if text != "Obrigada, o acesso voltou a funcionar." {
		t.Errorf("step text %q", text)
	}
	raw, err := h.svc.RawMessage(context.Background(), res.RawMessageID)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(path)
	if sha256.Sum256(raw) != sha256.Sum256(orig) {
		t.Error("raw message not kept byte for byte")
	}
}

func TestCase014CcParticipantsRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingestFile(casePath(t, "014-cc-participants-recorded-and-kept"))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("result %+v", res)
	}
	v := h.show(res.Protocol)
	var ccs []string
	for _, p := range v.Participants {
		switch p.Role {
		case "cc":
			ccs = append(ccs, p.Email)
		case "requester":
			if p.Email != "maria.exemplo@example.org" {
				t.Errorf("requester %s", p.Email)
			}
		}
	}
	if strings.Join(ccs, ",") != "carlos.modelo@example.org,ana.ficticia@example.net" {
		t.Errorf("cc participants %v", ccs)
	}
	for _, n := range res.Notifications {
		if n.Kind == core.NotifyAck && (len(n.To) != 1 || n.To[0] != "maria.exemplo@example.org") {
			t.Errorf("ack to %v: requester only", n.To)
		}
	}
	if notificationKinds(res)[core.NotifyAck] != 1 {
		t.Errorf("notifications %+v: want one ack", res.Notifications)
	}
}
