package demomail

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestDeliveryAndAuthenticationResults(t *testing.T) {
	t.Parallel()
	s, err := Start(Config{AuthservID: "mx.demo.example", Accounts: []Account{
		{Address: "protocolo@demo.example", Password: "p1"}, {Address: "ana@demo.example", Password: "p2"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	msg := "From: ana@demo.example\r\nTo: protocolo+abc@demo.example\r\nSubject: oi\r\n\r\nolá\r\n"
	// Authenticated submission for one's own address gets dmarc=pass.
	ac, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := ac.Auth(sasl.NewPlainClient("", "ana@demo.example", "p2")); err != nil {
		t.Fatal(err)
	}
	if err := ac.SendMail("ana@demo.example", []string{"protocolo+abc@demo.example"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	ac.Close()
	// Anonymous mail is delivered without it; unknown users are refused.
	c, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("stranger@else.example", []string{"protocolo@demo.example"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail("stranger@else.example", []string{"nobody@demo.example"}, strings.NewReader(msg)); err == nil {
		t.Error("mail to an unknown user was accepted")
	}
	c.Close()

	ic, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login("protocolo@demo.example", "p1").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	sec := &imap.FetchItemBodySection{Peek: true}
	msgs, err := ic.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("INBOX has %d messages (%v), want 2", len(msgs), err)
	}
	first, second := string(msgs[0].FindBodySection(sec)), string(msgs[1].FindBodySection(sec))
	if !strings.Contains(first, "Authentication-Results: mx.demo.example; auth=pass smtp.auth=ana@demo.example; dmarc=pass header.from=demo.example") ||
		!strings.Contains(first, "Delivered-To: protocolo+abc@demo.example") {
		t.Errorf("authenticated message:\n%s", first)
	}
	if strings.Contains(second, "Authentication-Results") {
		t.Errorf("anonymous message was vouched for:\n%s", second)
	}
}
