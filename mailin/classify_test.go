package mailin

import (
	"testing"

	"github.com/emersion/go-message/textproto"
	"github.com/tramita/tramita/core"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	own := core.Organization{Address: "protocolo@orgao.example.gov.br", OtherAddresses: []string{"ligacao@orgao.example.gov.br"}}
	empty := ""
	someone := "maria@example.org"
	maria := &Address{Name: "Maria", Email: "maria@example.org"}

	tests := []struct {
		name    string
		from    *Address
		headers [][2]string
		subject string
		rp      *string
		report  *DeliveryReport
		want    Class
	}{
		{name: "person", from: maria, rp: &someone, want: ClassNormal},
		{name: "no From at all", want: ClassNormal},
		{name: "own address", from: &Address{Email: "protocolo@orgao.example.gov.br"}, want: ClassLoop},
		{name: "own alias", from: &Address{Email: "ligacao@orgao.example.gov.br"}, want: ClassLoop},
		{name: "own plus-address", from: &Address{Email: "protocolo+aebqcaq@orgao.example.gov.br"}, want: ClassLoop},
		{name: "own address upper case", from: &Address{Email: "Protocolo@ORGAO.example.gov.br"}, want: ClassLoop},
		{name: "own From only in the header", headers: [][2]string{{"From", "Protocolo <protocolo@orgao.example.gov.br>"}}, want: ClassLoop},
		{name: "X-Loop naming own address", from: maria, headers: [][2]string{{"X-Loop", "protocolo@orgao.example.gov.br"}}, want: ClassLoop},
		{name: "X-Loop of another system", from: maria, headers: [][2]string{{"X-Loop", "helpdesk@example.org"}}, want: ClassNormal},
		{name: "staff of the same domain", from: &Address{Email: "joao@orgao.example.gov.br"}, want: ClassNormal},
		{name: "other domain same local part", from: &Address{Email: "protocolo@example.org"}, want: ClassNormal},
		{name: "DSN report", from: maria, report: &DeliveryReport{ReportType: "delivery-status"}, want: ClassBounce},
		{name: "DSN from header only", from: maria, headers: [][2]string{{"Content-Type", `multipart/report; report-type="delivery-status"; boundary=x`}}, want: ClassBounce},
		{name: "ARF feedback report", from: maria, report: &DeliveryReport{ReportType: "feedback-report"}, want: ClassAutoReply},
		{name: "read receipt", from: maria, report: &DeliveryReport{ReportType: "disposition-notification"}, want: ClassAutoReply},
		{name: "read receipt from header only", from: maria, headers: [][2]string{{"Content-Type", "multipart/report; report-type=disposition-notification; boundary=x"}}, want: ClassAutoReply},
		{name: "MAILER-DAEMON", from: &Address{Email: "MAILER-DAEMON@mx.example.net"}, want: ClassBounce},
		{name: "postmaster", from: &Address{Email: "postmaster@example.com"}, want: ClassBounce},
		{name: "mail-daemon", from: &Address{Email: "mail-daemon@example.com"}, want: ClassBounce},
		{name: "X-Failed-Recipients", from: maria, headers: [][2]string{{"X-Failed-Recipients", "x@example.org"}}, want: ClassBounce},
		{name: "null path with DSN subject", from: &Address{Email: "noreply@example.com"}, rp: &empty, subject: "Undeliverable: Nyaan", want: ClassBounce},
		{name: "null path with pt-BR DSN subject", from: &Address{Email: "noreply@example.com"}, rp: &empty, subject: "Mensagem não entregue: [Protocolo 23037.000204/2026-76]", want: ClassBounce},
		{name: "null path header only with DSN subject", from: &Address{Email: "noreply@example.com"}, headers: [][2]string{{"Return-Path", "<>"}}, subject: "Delivery Status Notification (Failure)", want: ClassBounce},
		{name: "Auto-Submitted auto-replied", from: maria, headers: [][2]string{{"Auto-Submitted", "auto-replied"}}, want: ClassAutoReply},
		{name: "Auto-Submitted upper case with comment", from: maria, headers: [][2]string{{"Auto-Submitted", "Auto-Generated (failure)"}}, want: ClassAutoReply},
		{name: "Auto-Submitted with parameter", from: maria, headers: [][2]string{{"Auto-Submitted", "auto-notified; owner-email=x@example.org"}}, want: ClassAutoReply},
		{name: "Auto-Submitted no", from: maria, headers: [][2]string{{"Auto-Submitted", "No"}}, want: ClassNormal},
		{name: "Auto-Submitted no with comment", from: maria, headers: [][2]string{{"Auto-Submitted", "no (person)"}}, want: ClassNormal},
		{name: "Precedence bulk", from: maria, headers: [][2]string{{"Precedence", "bulk"}}, want: ClassBulk},
		{name: "Precedence junk", from: maria, headers: [][2]string{{"Precedence", "Junk"}}, want: ClassBulk},
		{name: "Precedence list", from: maria, headers: [][2]string{{"Precedence", "list"}}, want: ClassBulk},
		{name: "Precedence auto_reply", from: maria, headers: [][2]string{{"Precedence", "auto_reply"}}, want: ClassAutoReply},
		{name: "X-Precedence bulk", from: maria, headers: [][2]string{{"X-Precedence", "bulk"}}, want: ClassBulk},
		{name: "Precedence first-class", from: maria, headers: [][2]string{{"Precedence", "first-class"}}, want: ClassNormal},
		{name: "X-Autoreply", from: maria, headers: [][2]string{{"X-Autoreply", "yes"}}, want: ClassAutoReply},
		{name: "X-Autorespond", from: maria, headers: [][2]string{{"X-Autorespond", "1"}}, want: ClassAutoReply},
		{name: "X-Auto-Response-Suppress All", from: maria, headers: [][2]string{{"X-Auto-Response-Suppress", "All"}}, want: ClassAutoReply},
		{name: "X-Auto-Response-Suppress None", from: maria, headers: [][2]string{{"X-Auto-Response-Suppress", "None"}}, want: ClassNormal},
		{name: "X-Auto-Response-Suppress empty", from: maria, headers: [][2]string{{"X-Auto-Response-Suppress", ""}}, want: ClassNormal},
		{name: "X-Autogenerated", from: maria, headers: [][2]string{{"X-Autogenerated", "Reply"}}, want: ClassAutoReply},
		{name: "X-AutoReply-From", from: maria, headers: [][2]string{{"X-AutoReply-From", "maria@example.org"}}, want: ClassAutoReply},
		{name: "X-Mail-Autoreply", from: maria, headers: [][2]string{{"X-Mail-Autoreply", "yes"}}, want: ClassAutoReply},
		{name: "List-Id", from: maria, headers: [][2]string{{"List-Id", "<lista.example.org>"}}, want: ClassBulk},
		{name: "List-Unsubscribe", from: maria, headers: [][2]string{{"List-Unsubscribe", "<mailto:x@example.org>"}}, want: ClassBulk},
		{name: "null return path", from: maria, rp: &empty, subject: "Fora do escritório", want: ClassAutoReply},
		{name: "null return path header only", from: maria, headers: [][2]string{{"Return-Path", "< >"}}, want: ClassAutoReply},
		{name: "ordinary return path header", from: maria, headers: [][2]string{{"Return-Path", "<maria@example.org>"}}, want: ClassNormal},
		{name: "DSN subject without null path", from: maria, rp: &someone, subject: "Undeliverable item found in the attic", want: ClassNormal},
		{name: "loop wins over auto-reply", from: &Address{Email: "protocolo@orgao.example.gov.br"}, headers: [][2]string{{"Auto-Submitted", "auto-generated"}}, want: ClassLoop},
		{name: "bounce wins over auto-submitted", from: &Address{Email: "mailer-daemon@example.net"}, headers: [][2]string{{"Auto-Submitted", "auto-replied"}}, want: ClassBounce},
		{name: "auto-submitted wins over precedence", from: maria, headers: [][2]string{{"Auto-Submitted", "auto-replied"}, {"Precedence", "bulk"}}, want: ClassAutoReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &Message{From: tt.from, Subject: tt.subject, ReturnPath: tt.rp, Report: tt.report}
			var h textproto.Header
			for _, kv := range tt.headers {
				h.Add(kv[0], kv[1])
			}
			m.Header = h
			got, reason := Classify(m, own)
			if got != tt.want {
				t.Errorf("Classify = %q (%s), want %q", got, reason, tt.want)
			}
			if (got == ClassNormal) != (reason == "") {
				t.Errorf("reason %q for class %q: want a reason exactly when not normal", reason, got)
			}
		})
	}
}

func TestShort(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "auto-replied", "auto-replied"},
		{"controls removed", "a\r\nb\x00c", "abc"},
		{"cut at 60 bytes", "0123456789012345678901234567890123456789012345678901234567890123", "012345678901234567890123456789012345678901234567890123456789"},
		{"cut inside a rune", "01234567890123456789012345678901234567890123456789012345678é", "01234567890123456789012345678901234567890123456789012345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := short(tt.in); got != tt.want {
				t.Errorf("short(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestBounceClassAndReportAgree: whatever Classify calls a bounce, the
// parser has read a delivery report from (so its recipients and original
// Message-ID reach core), for each way a non-RFC 3464 bounce shows itself.
func TestBounceClassAndReportAgree(t *testing.T) {
	t.Parallel()
	org := core.Organization{Address: "protocolo@orgao.example.gov.br"}
	body := "\r\nThis message was created automatically by mail delivery software.\r\n\r\n" +
		"  maria@example.org\r\n    mailbox unavailable\r\n\r\n------ This is a copy of the message, including all the headers. ------\r\n" +
		"Message-ID: <ack.1.abc@orgao.example.gov.br>\r\nSubject: Protocolo\r\n\r\ntexto\r\n"
	for _, head := range []string{
		"Return-Path: <>\r\nFrom: Mail Delivery System <mailer_daemon@mx.example.org>\r\nSubject: Problema\r\n",
		"Return-Path: <>\r\nFrom: Sistema <sistema@mx.example.org>\r\nSubject: Delivery failed: Protocolo\r\n",
		"Return-Path: <>\r\nFrom: Sistema <sistema@mx.example.org>\r\nSubject: Mensaje no entregado\r\n",
		"Return-Path: <sistema@mx.example.org>\r\nFrom: Sistema <sistema@mx.example.org>\r\nSubject: Aviso\r\nX-Failed-Recipients: maria@example.org\r\n",
	} {
		m := Parse([]byte(head + "To: protocolo@orgao.example.gov.br\r\n" + body))
		class, reason := Classify(m, org)
		if class != ClassBounce {
			t.Errorf("%q: class %s (%s), want bounce", head, class, reason)
			continue
		}
		if m.Report == nil || m.Report.OriginalMessageID != "ack.1.abc@orgao.example.gov.br" {
			t.Errorf("%q: classed bounce (%s) but report %+v", head, reason, m.Report)
		}
	}
}
