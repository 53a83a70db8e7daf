package mailin_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tramita/tramita/mailin"
)

func TestParseIMAPURL(t *testing.T) {
	cases := []struct {
		name, raw string
		want      mailin.IMAPURL // zero: an error is expected
		key       string
	}{
		{"implicit TLS", "imaps://protocolo%40orgao.gov.br:s%3Acreta@mail.orgao.gov.br/INBOX",
			mailin.IMAPURL{Security: mailin.IMAPTLS, Host: "mail.orgao.gov.br", Port: 993, User: "protocolo@orgao.gov.br", Password: "s:creta", Mailbox: "INBOX"},
			"imap://protocolo%40orgao.gov.br@mail.orgao.gov.br:993/INBOX"},
		{"STARTTLS, default mailbox", "imap://u:s3cr3t@Mail.Example.org?starttls=1",
			mailin.IMAPURL{Security: mailin.IMAPStartTLS, Host: "Mail.Example.org", Port: 143, User: "u", Password: "s3cr3t", Mailbox: "INBOX"},
			"imap://u@mail.example.org:143/INBOX"},
		{"clear text on loopback", "imap://u:s3cr3t@127.0.0.1:1143/Caixa%20de%20entrada",
			mailin.IMAPURL{Security: mailin.IMAPPlain, Host: "127.0.0.1", Port: 1143, User: "u", Password: "s3cr3t", Mailbox: "Caixa de entrada"},
			"imap://u@127.0.0.1:1143/Caixa%20de%20entrada"},
		{"clear text on localhost", "imap://u:s3cr3t@localhost/INBOX",
			mailin.IMAPURL{Security: mailin.IMAPPlain, Host: "localhost", Port: 143, User: "u", Password: "s3cr3t", Mailbox: "INBOX"}, ""},
		{"clear text on IPv6 loopback", "imap://u:s3cr3t@[::1]:143/INBOX",
			mailin.IMAPURL{Security: mailin.IMAPPlain, Host: "::1", Port: 143, User: "u", Password: "s3cr3t", Mailbox: "INBOX"}, ""},
		{"explicitly insecure", "imap://u:s3cr3t@mail.example.org/INBOX?insecure=1",
			mailin.IMAPURL{Security: mailin.IMAPPlain, Host: "mail.example.org", Port: 143, User: "u", Password: "s3cr3t", Mailbox: "INBOX"}, ""},
		{"clear text elsewhere", "imap://u:s3cr3t@mail.example.org/INBOX", mailin.IMAPURL{}, ""},
		{"unknown scheme", "pop3://u:s3cr3t@mail.example.org/", mailin.IMAPURL{}, ""},
		{"no user", "imaps://mail.example.org/INBOX", mailin.IMAPURL{}, ""},
		{"bad port", "imaps://u:s3cr3t@mail.example.org:99999/INBOX", mailin.IMAPURL{}, ""},
		{"unknown parameter", "imaps://u:s3cr3t@mail.example.org/INBOX?tls=0", mailin.IMAPURL{}, ""},
		{"starttls on imaps", "imaps://u:s3cr3t@mail.example.org/INBOX?starttls=1", mailin.IMAPURL{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := mailin.ParseIMAPURL(c.raw, "")
			if c.want == (mailin.IMAPURL{}) {
				if !errors.Is(err, mailin.ErrIMAPURL) {
					t.Fatalf("got %+v, %v; want ErrIMAPURL", got, err)
				}
				if err != nil && strings.Contains(err.Error(), ":s3cr3t@") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
			if c.key != "" && got.Key() != c.key {
				t.Errorf("Key() = %q, want %q", got.Key(), c.key)
			}
			if strings.Contains(got.Key(), got.Password) || strings.Contains(got.String(), got.Password) {
				t.Errorf("Key %q or String %q shows the password", got.Key(), got.String())
			}
		})
	}
}

func TestParseIMAPURLPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := mailin.ParseIMAPURL("imaps://u:from-url@mail.example.org/INBOX", f)
	if err != nil || got.Password != "from-file" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := mailin.ParseIMAPURL("imaps://u@mail.example.org/INBOX", filepath.Join(t.TempDir(), "missing")); !errors.Is(err, mailin.ErrIMAPURL) {
		t.Errorf("missing password file: %v", err)
	}
}
