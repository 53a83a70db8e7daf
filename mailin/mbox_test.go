package mailin_test

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/demomail"
	"github.com/tramita/tramita/mailin"
)

// TestMboxFromLineEveryDoor: a message saved from an mbox starts with a
// "From sender date" envelope line. Every door must accept it as it
// accepts the message without that line: the pipe gets it first, and a
// delivering server (the demo's SMTP, Postfix, Dovecot) puts its trace
// fields above it. Through the demo's SMTP it was quarantined (the line
// below Return-Path was read as the start of the body, so no From).
func TestMboxFromLineEveryDoor(t *testing.T) {
	t.Parallel()
	body := "From: Joana Cidadã <joana.cidada@example.org>\r\nTo: protocolo@orgao.example.gov.br\r\n" +
		"Subject: Vazamento na rua\r\nMessage-ID: <mbox-%s@example.org>\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\n\r\n" +
		"Há um vazamento na Rua das Flores.\r\n"
	envelope := "From joana.cidada@example.org Sat Nov 28 12:00:00 2026\r\n"
	variants := map[string]string{
		"plain":                  body,
		"mbox line first":        envelope + body,
		"quoted mbox line first": ">" + envelope + body,
		"trace fields above it":  "Return-Path: <joana.cidada@example.org>\r\nDelivered-To: protocolo@orgao.example.gov.br\r\n" + envelope + body,
		"received above it":      "Received: from mx.example.org by mx.orgao.example.gov.br; Sat, 28 Nov 2026 12:00:01 +0000\r\n" + envelope + body,
		"x-original-to above it": "X-Original-To: protocolo@orgao.example.gov.br\r\n" + envelope + body,
	}
	for name, raw := range variants {
		t.Run("parse/"+name, func(t *testing.T) {
			m := mailin.Parse([]byte(strings.ReplaceAll(raw, "%s", "x")))
			if m.From == nil || m.From.Email != "joana.cidada@example.org" || m.Subject != "Vazamento na rua" ||
				!strings.Contains(m.Text, "Rua das Flores") || strings.Contains(m.Text, "From: ") {
				t.Errorf("From %+v, Subject %q, Text %q", m.From, m.Subject, m.Text)
			}
			if len(m.Problems) > 0 {
				t.Errorf("problems: %v", m.Problems)
			}
		})
	}

	// The pipe door.
	h := newHarness(t)
	for i, name := range []string{"mbox line first", "trace fields above it"} {
		raw := strings.ReplaceAll(variants[name], "%s", "pipe"+string(rune('a'+i)))
		if res := h.ingest([]byte(raw)); res.Outcome != core.OutcomeCreated {
			t.Errorf("pipe, %s: %+v", name, res)
		}
	}

	// The demo's SMTP door: delivered to its IMAP INBOX with its trace
	// fields, then read as the poller reads it.
	s, err := demomail.Start(demomail.Config{AuthservID: "mx.orgao.example.gov.br",
		Accounts: []demomail.Account{{Address: "protocolo@orgao.example.gov.br", Password: "p"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.ReplaceAll(variants["mbox line first"], "%s", "smtp")
	if err := c.SendMail("joana.cidada@example.org", []string{"protocolo@orgao.example.gov.br"}, strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ic, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	if err := ic.Login("protocolo@orgao.example.gov.br", "p").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	sec := &imap.FetchItemBodySection{Peek: true}
	msgs, err := ic.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true,
		BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("INBOX has %d messages (%v), want 1", len(msgs), err)
	}
	delivered := msgs[0].FindBodySection(sec)
	if !strings.HasPrefix(string(delivered), "Return-Path:") {
		t.Fatalf("the demo's SMTP did not put its trace fields above the mbox line: %d bytes %+v\n%s", len(delivered), msgs[0], delivered)
	}
	if res := h.ingest(delivered); res.Outcome != core.OutcomeCreated {
		t.Errorf("through the demo's SMTP: %+v", res)
	}
}
