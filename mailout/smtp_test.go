package mailout_test

import (
	"strings"
	"testing"

	"github.com/tramita/tramita/mailout"
)

func TestParseSMTPURL(t *testing.T) {
	cases := []struct {
		name, url string
		want      mailout.SMTPConfig
		err       string
	}{
		{"submission with auth", "smtp://user%40orgao:p%40ss@smtp.orgao.gov.br:587",
			mailout.SMTPConfig{Host: "smtp.orgao.gov.br", Port: 587, Username: "user@orgao", Password: "p@ss", TLS: mailout.StartTLSOpportunistic}, ""},
		{"default port", "smtp://relay.local", mailout.SMTPConfig{Host: "relay.local", Port: 587}, ""},
		{"required STARTTLS and HELO", "smtp://relay.local:25?starttls=required&helo=tramita.orgao.gov.br",
			mailout.SMTPConfig{Host: "relay.local", Port: 25, TLS: mailout.StartTLSRequired, HELO: "tramita.orgao.gov.br"}, ""},
		{"no TLS", "smtp://127.0.0.1:1025?starttls=none", mailout.SMTPConfig{Host: "127.0.0.1", Port: 1025, TLS: mailout.NoTLS}, ""},
		{"implicit TLS", "smtps://u:p@smtp.gmail.com", mailout.SMTPConfig{Host: "smtp.gmail.com", Port: 465, Username: "u", Password: "p", TLS: mailout.ImplicitTLS}, ""},
		{"IPv6", "smtp://[::1]:2525", mailout.SMTPConfig{Host: "::1", Port: 2525}, ""},
		{"wrong scheme", "imap://x", mailout.SMTPConfig{}, "scheme"},
		{"no host", "smtp://", mailout.SMTPConfig{}, "no host"},
		{"bad port", "smtp://x:99999", mailout.SMTPConfig{}, "port"},
		{"typo", "smtp://x?startls=required", mailout.SMTPConfig{}, "unknown parameter"},
		{"bad starttls", "smtp://x?starttls=maybe", mailout.SMTPConfig{}, "starttls"},
		{"starttls on smtps", "smtps://x?starttls=none", mailout.SMTPConfig{}, "smtps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := mailout.ParseSMTPURL(c.url)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one mentioning %q", err, c.err)
				}
				return
			}
			if err != nil || got.Host != c.want.Host || got.Port != c.want.Port || got.Username != c.want.Username ||
				got.Password != c.want.Password || got.TLS != c.want.TLS || got.HELO != c.want.HELO {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestSMTPConfigStringHidesThePassword(t *testing.T) {
	c, err := mailout.ParseSMTPURL("smtp://user:secret@relay.local?starttls=required")
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); strings.Contains(s, "secret") || s != "smtp://user@relay.local:587?starttls=required" {
		t.Fatalf("String() = %q", s)
	}
	if _, err := mailout.ParseSMTPURL("smtp://user:secret@bad host"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("parse error leaks the password: %v", err)
	}
}
