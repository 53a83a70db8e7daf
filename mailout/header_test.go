package mailout_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
)

// TestHeadersFoldAtWhitespace: long Subject, Reply-To and References
// fields fold at whitespace into lines of at most 78 characters (RFC 5322
// §2.1.1, §2.2.3) and never leave the field name alone on its first line
// (go-mail folded right after "Subject:" whenever the first encoded-word
// was long); they decode back to what was written, and the ASCII words of
// a subject (the protocol tag) stay readable.
func TestHeadersFoldAtWhitespace(t *testing.T) {
	t.Parallel()
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := core.ParseKeyring("1:test-secret-long-enough")
	org := goldenOrg
	org.Name = "Companhia Estadual de Água, Esgoto e Saneamento Básico do Município de São José"
	subjects := []string{
		"Solicitação de ligação de água no imóvel da Rua das Flores, número 123, bairro Jardim São Paulo — urgente",
		"Pedido " + strings.Repeat("x", 120) + " fim",
		"ação ação ação ação ação ação ação ação ação ação ação ação ação ação ação ação ação ação",
		"=?utf-8?q?n=C3=A3o?= é um encoded-word escrito pelo requerente",
		"Curto",
	}
	for _, subject := range subjects {
		d := goldenDelivery(t, core.NotifyAck)
		d.Protocol.Subject = subject
		d.References = []string{"open.1.00112233445566778899@mail.example.org", "ack.1.0011223344556677@saneamento.example.gov.br",
			"status-update.1.8899aabbccddeeff@saneamento.example.gov.br"}
		out, err := r.Render(core.NotifyAck, mailout.NewView(d, org, "pt-BR", "https://p.example"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mailout.Message(d, out, mailout.Envelope{Org: org, Recipient: d.To[0], Keys: keys, Date: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		if _, err := m.WriteTo(&raw); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(raw.String(), "\r\n\r\n")
		for _, field := range []string{"Subject", "Reply-To", "References"} {
			block := regexp.MustCompile(`(?m)^` + field + `:[^\r\n]*(\r\n[ \t][^\r\n]*)*`).FindString(head)
			if block == "" {
				t.Fatalf("no %s in\n%s", field, head)
			}
			lines := strings.Split(block, "\r\n")
			if strings.TrimSpace(strings.TrimPrefix(lines[0], field+":")) == "" {
				t.Errorf("%s is folded right after the colon:\n%s", field, block)
			}
			for _, l := range lines {
				if len(l) > 78 {
					t.Errorf("%s line of %d characters: %q", field, len(l), l)
				}
			}
		}
		h, err := mail.CreateReader(bytes.NewReader(raw.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		want := mailout.Subject(org, d, out.Subject)
		if got, err := h.Header.Subject(); err != nil || got != want {
			t.Errorf("Subject decodes to %q (%v), want %q", got, err, want)
		}
		if !strings.Contains(head, "Subject: [Protocolo "+goldenNumber+"]") {
			t.Errorf("the tag is not left readable:\n%s", head)
		}
		rt, err := h.Header.AddressList("Reply-To")
		if err != nil || len(rt) != 1 || rt[0].Name != org.Name || !strings.HasPrefix(rt[0].Address, "protocolo+") {
			t.Errorf("Reply-To %v (%v)", rt, err)
		}
		if refs, err := h.Header.MsgIDList("References"); err != nil || strings.Join(refs, " ") != strings.Join(d.References, " ") {
			t.Errorf("References %v (%v)", refs, err)
		}
	}
}
