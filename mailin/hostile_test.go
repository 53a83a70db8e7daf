package mailin_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// utf16le encodes s as UTF-16LE (ASCII and Latin-1 only), optionally with a BOM.
func utf16le(s string, bom bool) string {
	var b strings.Builder
	if bom {
		b.WriteString("\xff\xfe")
	}
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// TestPoisonTextNeverStopsIntake: text PostgreSQL refuses (NUL, invalid
// UTF-8, UTF-16 labelled as text) in any field of a message never fails its
// ingest: the protocol opens with the repaired text, every stored text field
// is valid UTF-8 without NUL, and the raw bytes are kept unchanged.
func TestPoisonTextNeverStopsIntake(t *testing.T) {
	t.Parallel()
	type poison struct {
		name    string
		raw     string
		subject string // the protocol's subject must contain it
		text    string // the opening step's text must contain it
	}
	msg := func(headers, body string) string {
		return "Message-ID: <poison-" + strings.NewReplacer(" ", "", ":", "").Replace(headers[:min(len(headers), 20)]) + "@evil.example>\r\n" +
			headers + "Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\n" + body
	}
	plain := "Content-Type: text/plain; charset=utf-8\r\n\r\nPedido de ligação.\r\n"
	cases := []poison{
		{"NUL in an encoded subject", msg("From: a@example.org\r\nTo: "+service+"\r\nSubject: =?utf-8?b?YQBi?=\r\n", plain), "ab", "Pedido"},
		{"raw NUL in the subject", msg("From: b@example.org\r\nTo: "+service+"\r\nSubject: Pe\x00dido\r\n", plain), "Pedido", "Pedido"},
		{"NUL in the display name", msg("From: =?utf-8?q?Jo=00=C3=A3o?= <c@example.org>\r\nTo: "+service+"\r\nSubject: Nome\r\n", plain), "Nome", "Pedido"},
		{"NUL in a Cc name and address", msg("From: d@example.org\r\nTo: "+service+"\r\nCc: =?utf-8?q?Ana=00?= <ana@example.org>, \"x\x00y\" <x\x00y@example.org>\r\nSubject: Cc\r\n", plain), "Cc", "Pedido"},
		{"raw NUL in the body", msg("From: e@example.org\r\nTo: "+service+"\r\nSubject: Corpo\r\n",
			"Content-Type: text/plain; charset=utf-8\r\n\r\nFalta\x00 de \x00água.\r\n"), "Corpo", "Falta de água"},
		{"quoted-printable NUL in the body", msg("From: f@example.org\r\nTo: "+service+"\r\nSubject: QP\r\n",
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nFalta=00 de =C3=A1gua.\r\n"), "QP", "Falta de água"},
		{"invalid UTF-8 in a header declared UTF-8", msg("From: g@example.org\r\nTo: "+service+"\r\nSubject: =?utf-8?b?"+"w6E/w6h="+"?= \xc3\x28 bad\r\n", plain), "bad", "Pedido"},
		{"UTF-16LE body with BOM labelled text/plain utf-8", msg("From: h@example.org\r\nTo: "+service+"\r\nSubject: UTF16\r\n",
			"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+utf16le("Falta de água no bairro — cobrança de € 50.\r\n", true)), "UTF16", "Falta de água no bairro — cobrança de € 50."},
		{"UTF-16LE body without BOM and without charset", msg("From: i@example.org\r\nTo: "+service+"\r\nSubject: UTF16b\r\n",
			"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"+utf16le("Conta de água errada — “R$ 40”.\r\n", false)), "UTF16b", "Conta de água errada — “R$ 40”."},
		{"UTF-16LE base64 body labelled iso-8859-1", msg("From: j@example.org\r\nTo: "+service+"\r\nSubject: UTF16c\r\n",
			"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n//5WAGEAegBhAG0AZQBuAHQAbwAgAG4AYQAgAHIAdQBhAC4A\r\n"), "UTF16c", "Vazamento na rua"},
		{"NUL in an attachment filename and type", msg("From: k@example.org\r\nTo: "+service+"\r\nSubject: Anexo\r\n",
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue.\r\n--b\r\n"+
				"Content-Type: application/pdf; name=\"a\x00b.pdf\"\r\nContent-Disposition: attachment; filename*=utf-8''c%00d.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"), "Anexo", "Segue"},
		{"NUL in the Message-ID and References", "Message-ID: <nul\x00id@evil.example>\r\nIn-Reply-To: <x\x00y@evil.example>\r\nReferences: <x\x00y@evil.example>\r\n" +
			"From: l@example.org\r\nTo: " + service + "\r\nSubject: MID\r\nDate: Sat, 28 Nov 2026 09:00:00 -0300\r\n" + plain, "MID", "Pedido"},
		{"NUL in a Reply-To", msg("From: m@example.org\r\nReply-To: =?utf-8?q?R=00?= <m\x00r@example.org>\r\nTo: "+service+"\r\nSubject: ReplyTo\r\n", plain), "ReplyTo", "Pedido"},
		{"C0 controls and lone surrogate escapes in HTML", msg("From: n@example.org\r\nTo: "+service+"\r\nSubject: HTML\r\n",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Falta&#0; de&#xD800; \x00água</p>\r\n"), "HTML", "Falta"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			res, err := h.ing.Ingest(context.Background(), []byte(c.raw), core.Source{Kind: "pipe"})
			if err != nil {
				t.Fatalf("ingest returned an error (EX_TEMPFAIL, the MTA retries forever): %v", err)
			}
			if res.Outcome != core.OutcomeCreated {
				t.Fatalf("want the protocol opened with the repaired text, got %+v", res)
			}
			v := h.show(res.Protocol)
			if !strings.Contains(v.Subject, c.subject) {
				t.Errorf("subject %q, want it to contain %q", v.Subject, c.subject)
			}
			if !strings.Contains(v.Steps[0].Text, c.text) {
				t.Errorf("opening text %q, want it to contain %q", v.Steps[0].Text, c.text)
			}
			var raw []byte
			if err := h.pool.QueryRow(context.Background(), `SELECT content FROM raw_messages WHERE id = $1`, res.RawMessageID).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if string(raw) != c.raw {
				t.Errorf("the raw bytes were not kept unchanged")
			}
			// Every text column written: valid UTF-8, no NUL.
			rows, err := h.pool.Query(context.Background(), `
				SELECT subject || sender FROM raw_messages
				UNION ALL SELECT subject FROM protocols
				UNION ALL SELECT coalesce(email, '') || coalesce(name, '') || coalesce(reply_to, '') FROM participants
				UNION ALL SELECT author_email || coalesce(author_name, '') || text || full_text || html FROM steps
				UNION ALL SELECT filename || content_type FROM attachments
				UNION ALL SELECT message_id FROM message_index
				UNION ALL SELECT data::text FROM notifications`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.Contains(s, `\u0000`) {
					t.Errorf("stored text %q is not clean", s)
				}
			}
		})
	}
}

// stuckCore fails every ingest of a message whose subject holds "stuck"
// with an error that is temporary but the database's answer (a deadlock),
// as a message that always times out or deadlocks would.
type stuckCore struct {
	*core.Service
	calls atomic.Int32
}

func (s *stuckCore) Ingest(ctx context.Context, in core.Inbound) (core.IngestResult, error) {
	if strings.Contains(in.Subject, "stuck") {
		s.calls.Add(1)
		return core.IngestResult{}, fmt.Errorf("adding step: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
	}
	return s.Service.Ingest(ctx, in)
}

// TestPollerNeverHeldByOneMessage: a message the database refuses, or one
// that fails every time, never stops the messages after it: the first is
// quarantined at once (its text repaired), the second after MaxAttempts
// failures in a row, and both go to the failed folder or are processed.
func TestPollerNeverHeldByOneMessage(t *testing.T) {
	t.Parallel()
	t.Run("text the database refuses", func(t *testing.T) {
		t.Parallel()
		srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
		h := newHarness(t)
		tag := imapTag()
		noFrom := "To: " + service + "\r\nSubject: =?utf-8?b?YQBi?= \x00\r\nMessage-ID: <" + tag + ".nul@example.org>\r\n\r\nSem From.\r\n"
		nulBody := strings.Replace(string(imapMail(tag, 7)), "Solicito", "Soli\x00cito", 1)
		imapAppend(t, srv, []byte(noFrom), []byte(nulBody), imapMail(tag, 1))
		startIMAPPoller(t, h, imapPollerConfig(t, srv))
		imapEventually(t, 10*time.Second, "the messages after the poison are read", func() bool {
			return len(imapFolder(t, srv, processed)) == 2 && len(imapFolder(t, srv, failed)) == 1
		})
		if n := h.count(`SELECT count(*) FROM protocols`); n != 2 {
			t.Errorf("%d protocols, want 2 (the NUL body opens one with the repaired text)", n)
		}
	})
	t.Run("a message that fails every time", func(t *testing.T) {
		t.Parallel()
		srv := startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
		h := newHarness(t)
		tag := imapTag()
		stuck := strings.Replace(string(imapMail(tag, 1)), "Subject: Pedido", "Subject: stuck Pedido", 1)
		imapAppend(t, srv, []byte(stuck), imapMail(tag, 2))
		sc := &stuckCore{Service: h.svc}
		cfg := imapPollerConfig(t, srv)
		cfg.MaxAttempts = 3
		startIMAPPollerWith(t, &mailin.Ingester{Core: sc, Log: cfg.Logger}, h.svc, cfg)
		imapEventually(t, 15*time.Second, "the message after the stuck one is read", func() bool {
			return len(imapFolder(t, srv, processed)) == 1 && len(imapFolder(t, srv, failed)) == 1
		})
		if n := sc.calls.Load(); n != 3 {
			t.Errorf("the stuck message was tried %d times, want MaxAttempts = 3", n)
		}
		list, err := h.svc.FailedMessages(context.Background())
		if err != nil || len(list) != 1 || !strings.Contains(list[0].Error, "3 times") {
			t.Errorf("the stuck message is not quarantined with its raw bytes: %+v %v", list, err)
		}
	})
}

// TestForgedStaffMailIsNeverAStaffStep: mail with a staff member's From
// that proves nothing (no signed staff token, no trusted DMARC/DKIM pass)
// never becomes a staff step, whatever it carries and however it threads:
// it is a private message with no staff author, never public, and the
// staff member is told at the registered address. With commands and no
// protocol, nothing is opened and only the rejection is sent.
func TestForgedStaffMailIsNeverAStaffStep(t *testing.T) {
	t.Parallel()
	fee := "Despacho: para prosseguir, deposite a taxa de R$ 350,00 na conta 12345-6."
	type forged struct {
		name  string
		build func(h *harness, num string) []byte
	}
	subj := func(num string) string { return "Re: [Protocolo " + num + "] Impressora não imprime" }
	cases := []forged{
		{"subject tag, no commands", func(h *harness, n string) []byte { return mail(paula, service, subj(n), fee) }},
		{"subject tag, refused commands", func(h *harness, n string) []byte {
			return mail(paula, service, subj(n), "#concluir\n"+fee)
		}},
		{"commands that would be valid", func(h *harness, n string) []byte {
			return mail(paula, service, subj(n), "#responder\n"+fee)
		}},
		{"threaded by References", func(h *harness, n string) []byte {
			var mid string
			if err := h.pool.QueryRow(context.Background(), `SELECT message_id FROM message_index WHERE protocol_id = $1 LIMIT 1`,
				h.protocolID(n)).Scan(&mid); err != nil {
				t.Fatal(err)
			}
			return mail(paula, service, "Re: pedido", fee, "In-Reply-To: <"+mid+">", "References: <"+mid+">")
		}},
		{"upper-case staff address", func(h *harness, n string) []byte {
			return mail("Paula <"+strings.ToUpper(paula)+">", service, subj(n), fee)
		}},
		{"untrusted Authentication-Results", func(h *harness, n string) []byte {
			return mail(paula, service, subj(n), fee, "Authentication-Results: mx.evil.example; dmarc=pass header.from=orgao.example.gov.br")
		}},
		{"trusted dmarc=pass for another domain", func(h *harness, n string) []byte {
			return mail(paula, service, subj(n), fee, "Authentication-Results: mx.orgao.example.gov.br; dmarc=pass header.from=evil.example")
		}},
		{"another staff member's token", func(h *harness, n string) []byte {
			return mail(paula, h.staffAddress(n, gustavo), subj(n), fee)
		}},
		{"commands in a reply to the staff member's own notice, by address only", func(h *harness, n string) []byte {
			return mail(paula, service, "RES: ENC: "+subj(n), "#encaminhar DIR\n"+fee)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			// A type whose steps are public by default.
			res := h.ingest(mail("Cidadã <"+cidada+">", "suporte@orgao.example.gov.br", "Impressora não imprime", "Pedido."))
			if res.Outcome != core.OutcomeCreated {
				t.Fatalf("open: %+v", res)
			}
			num := res.Protocol
			res = h.ingest(c.build(h, num))
			if res.Protocol != num {
				t.Fatalf("the forged mail did not thread (the case tests nothing): %+v", res)
			}
			if n := h.count(`SELECT count(*) FROM steps WHERE author_staff_id IS NOT NULL`); n != 0 {
				t.Errorf("%d steps attributed to staff", n)
			}
			if n := h.count(`SELECT count(*) FROM steps WHERE text LIKE '%taxa%' AND (visibility <> 'private' OR kind <> 'message')`); n != 0 {
				t.Errorf("the forged text became a public or staff step")
			}
			if n := h.count(`SELECT count(*) FROM steps WHERE text LIKE '%taxa%'`); n != 1 {
				t.Errorf("the forged text is not kept on the protocol (%d steps)", n)
			}
			if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected' AND to_addrs = ARRAY[$1]`, paula); n != 1 {
				t.Errorf("the staff member was not told (%d notices)", n)
			}
			if n := h.count(`SELECT count(*) FROM notifications WHERE kind NOT IN ('command_rejected', 'ack', 'unit_notice')`); n != 0 {
				t.Errorf("%d other notifications went out", n)
			}
			number, _ := core.ParseNumber(num)
			var key string
			if err := h.pool.QueryRow(context.Background(), `SELECT access_key FROM protocols WHERE number = $1`, num).Scan(&key); err != nil {
				t.Fatal(err)
			}
			v, err := h.svc.PublicLookup(context.Background(), number, key, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range v.Steps {
				if strings.Contains(s.Text, "taxa") || s.Kind == core.StepDispatch {
					t.Errorf("the public lookup shows the forged text: %+v", s)
				}
			}
		})
	}

	t.Run("authenticated staff reply is still a dispatch", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		res := h.ingest(mail("Cidadã <"+cidada+">", "suporte@orgao.example.gov.br", "Impressora não imprime", "Pedido."))
		num := res.Protocol
		res = h.ingest(mail(gustavo, h.staffAddress(num, gustavo), subj(num), "Verificamos a impressora."))
		if n := h.count(`SELECT count(*) FROM steps WHERE kind = 'dispatch' AND author_staff_id = $1 AND visibility = 'public'`, h.staffID(gustavo)); n != 1 {
			t.Errorf("a staff reply by token is not a dispatch: %+v", res)
		}
	})

	t.Run("commands and no protocol: nothing opened, only the rejection", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		res := h.ingest(mail(paula, service, "Pedido em nome de terceiro",
			"#requerente\nNome: Fulano de Tal\nCPF: 529.982.247-25\nE-mail: fulano@example.org\n\n"+fee))
		if res.Protocol != "" || h.count(`SELECT count(*) FROM protocols`) != 0 {
			t.Errorf("a protocol was opened: %+v", res)
		}
		if n := h.count(`SELECT count(*) FROM notifications`); n != 1 ||
			h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected' AND to_addrs = ARRAY[$1]`, paula) != 1 {
			t.Errorf("want only the rejection to the staff member, got %d notifications", n)
		}
		if n := h.count(`SELECT count(*) FROM raw_messages WHERE outcome = 'rejected'`); n != 1 {
			t.Errorf("the message is not recorded (%d)", n)
		}
	})
}

// TestCommandsOnlyFromOwnTopText: with a valid staff token, commands run
// only from the text the staff member wrote at the top; never from below a
// cut (reply marker, quote header, forward header) nor from an attached
// message. Those messages are recorded, nothing is applied.
func TestCommandsOnlyFromOwnTopText(t *testing.T) {
	t.Parallel()
	rfc822 := func(to, subject, inner string) []byte {
		return []byte("From: " + paula + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <fwd-" + imapTag() + "@test.example>\r\n" +
			"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner + "\r\n--b--\r\n")
	}
	inner := "From: cidada@example.org\r\nSubject: pedido\r\nContent-Type: text/plain\r\n\r\n#concluir\r\nResolvido.\r\n"
	cases := []struct {
		name  string
		build func(to, subject string) []byte
	}{
		{"attached message/rfc822 only", func(to, s string) []byte { return rfc822(to, s, inner) }},
		{"attached message/rfc822 with an empty text part", func(to, s string) []byte {
			return []byte(strings.Replace(string(rfc822(to, s, inner)), "--b\r\nContent-Type: message/rfc822",
				"--b\r\nContent-Type: text/plain\r\n\r\n\r\n--b\r\nContent-Type: message/rfc822", 1))
		}},
		{"nested attached message", func(to, s string) []byte {
			return rfc822(to, s, "From: x@example.org\r\nSubject: y\r\nContent-Type: message/rfc822\r\n\r\n"+inner)
		}},
		{"Outlook ENC: forward", func(to, s string) []byte {
			return mail(paula, to, "ENC: "+s, "\n________________________________\nDe: Cidadã <cidada@example.org>\nEnviado: sexta-feira, 27 de novembro de 2026 10:00\nPara: Paula\nAssunto: pedido\n\n#concluir\nResolvido.")
		}},
		{"Gmail Fwd: forward", func(to, s string) []byte {
			return mail(paula, to, "Fwd: "+s, "\n---------- Forwarded message ---------\nFrom: Cidadã <cidada@example.org>\nDate: Fri, 27 Nov 2026 at 10:00\nSubject: pedido\nTo: <paula@example.org>\n\n#concluir\nResolvido.")
		}},
		{"Apple Mail forward", func(to, s string) []byte {
			return mail(paula, to, "Fwd: "+s, "\nBegin forwarded message:\n\n#concluir\nResolvido.")
		}},
		{"text only below the reply marker", func(to, s string) []byte {
			return mail(paula, to, "Re: "+s, "\n"+mailin.ReplyMarker+"\n#concluir\nResolvido.")
		}},
		{"text only below a quote header", func(to, s string) []byte {
			return mail(paula, to, "Re: "+s, "Em sex., 27 de nov. de 2026 às 10:00, Cidadã <cidada@example.org> escreveu:\n#concluir\nResolvido.")
		}},
		{"text only below Mensagem original", func(to, s string) []byte {
			return mail(paula, to, "Re: "+s, "-----Mensagem original-----\nDe: x\n\n#concluir")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			num := h.open("Pedido original.")
			res := h.ingest(c.build(h.staffAddress(num, paula), "[Protocolo "+num+"] Impressora não imprime"))
			if v := h.show(num); v.Status != core.StatusOpen {
				t.Errorf("a command ran from forwarded or quoted content: status %s (%+v)", v.Status, res)
			}
			if res.Outcome == core.OutcomeCommands || res.Protocol != num {
				t.Errorf("want the message recorded on the protocol without commands, got %+v", res)
			}
		})
	}
	t.Run("own text above a forward still commands", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		num := h.open("Pedido original.")
		res := h.ingest(mail(paula, h.staffAddress(num, paula), "ENC: [Protocolo "+num+"] x",
			"#concluir\nResolvido.\n\n________________________________\nDe: Cidadã <cidada@example.org>\nEnviado: sexta-feira\nPara: Paula\nAssunto: pedido\n\n#reabrir"))
		if v := h.show(num); v.Status != core.StatusConcluded || res.Outcome != core.OutcomeCommands {
			t.Errorf("own commands above a forward: status %s, %+v", v.Status, res)
		}
	})
}

// TestCcAmplification: one opening mail naming thousands of other
// recipients adds at most MaxCcParticipants (10) active Cc participants;
// the rest are recorded, inactive, and never mailed, so a #responder goes to
// the requester and at most 10 others.
func TestCcAmplification(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var to, cc []string
	for i := range 2500 {
		to = append(to, fmt.Sprintf("alvo%d@lista.example", i))
		cc = append(cc, fmt.Sprintf("=?utf-8?q?V=C3=ADtima_%d?= <vitima%d@lista.example>", i, i))
	}
	res := h.ingest(mail("Cidadã <"+cidada+">", service+", "+strings.Join(to, ", "), "Pedido", "Pedido.", "Cc: "+strings.Join(cc, ", ")))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("open: %+v", res)
	}
	if n := h.count(`SELECT count(*) FROM participants WHERE role = 'cc' AND active`); n != core.DefaultMaxCcParticipants {
		t.Errorf("%d active Cc participants, want %d", n, core.DefaultMaxCcParticipants)
	}
	if n := h.count(`SELECT count(*) FROM participants WHERE role = 'cc' AND NOT active`); n == 0 {
		t.Errorf("the Cc recipients past the limit are not recorded")
	}
	if !strings.Contains(res.Reason, "not mailed") {
		t.Errorf("the reason does not say recipients were left out: %q", res.Reason)
	}
	num := res.Protocol
	res = h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"] Pedido", "#responder\nRecebemos o pedido."))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("#responder: %+v", res)
	}
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT cardinality(to_addrs) + cardinality(cc_addrs) FROM notifications WHERE kind = 'reply'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1+core.DefaultMaxCcParticipants {
		t.Errorf("the reply goes to %d addresses, want the requester and %d Cc", n, core.DefaultMaxCcParticipants)
	}
}

// fewFilesCore is core configured with an attachment limit of 3.
type fewFilesCore struct{ *core.Service }

func (fewFilesCore) MaxAttachments() int { return 3 }

// TestAttachmentLimitIsConfigurable: the parts read and attachments kept
// per message follow the configured limit (core.Config.MaxAttachments,
// TRAMITA_MAX_ATTACHMENTS), not a constant; the rest stay in the raw message.
func TestAttachmentLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var b strings.Builder
	b.WriteString("From: " + cidada + "\r\nTo: " + service + "\r\nSubject: Muitos anexos\r\nMessage-ID: <many@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSeguem.\r\n")
	for i := range 8 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a%d.pdf\r\n\r\n%%PDF-%d\r\n", i, i)
	}
	b.WriteString("--b--\r\n")
	ing := &mailin.Ingester{Core: fewFilesCore{h.svc}, Log: h.ing.Log}
	res, err := ing.Ingest(context.Background(), []byte(b.String()), core.Source{Kind: "pipe"})
	if err != nil || res.Outcome != core.OutcomeCreated {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	if n := h.count(`SELECT count(*) FROM attachments`); n != 3 {
		t.Errorf("%d attachments kept, want the configured 3", n)
	}
	if m := mailin.ParseWith([]byte(b.String()), 3); len(m.Attachments) != 3 || len(m.Problems) == 0 {
		t.Errorf("ParseWith(3): %d attachments, problems %v", len(m.Attachments), m.Problems)
	}
	if m := mailin.Parse([]byte(b.String())); len(m.Attachments) != 8 {
		t.Errorf("Parse with the default limit: %d attachments, want 8", len(m.Attachments))
	}
	svc, err := core.NewService(h.pool, core.Config{Keys: h.keys, MaxAttachments: 7})
	if err != nil || svc.MaxAttachments() != 7 {
		t.Errorf("core.Config.MaxAttachments is not kept: %v", err)
	}
}

// TestStaffTokenLifetime: a staff reply address authenticates for
// StaffTokenLifetime (90 days by default) from the day it was issued; a
// reply through an older one applies nothing, is kept as a private message
// and the staff member gets a fresh notice (whose Reply-To is a new
// address). Outgoing mail signs dated tokens.
func TestStaffTokenLifetime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) // the harness clock
	for _, c := range []struct {
		name    string
		issued  time.Time
		applied bool
	}{
		{"issued 10 days ago", now.AddDate(0, 0, -10), true},
		{"issued 89 days ago", now.AddDate(0, 0, -89), true},
		{"issued 91 days ago", now.AddDate(0, 0, -91), false},
		{"issued two years ago", now.AddDate(-2, 0, 0), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			num := h.open("Pedido original.")
			addr := "protocolo+" + h.keys.SignAt(h.protocolID(num), h.staffID(paula), paula, c.issued) + "@orgao.example.gov.br"
			res := h.ingest(mail(paula, addr, "Re: [Protocolo "+num+"] Impressora", "#concluir\nResolvido."))
			concluded := h.show(num).Status == core.StatusConcluded
			if concluded != c.applied {
				t.Fatalf("applied = %v, want %v (%+v)", concluded, c.applied, res)
			}
			if !c.applied {
				if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected' AND to_addrs = ARRAY[$1] AND staff_id IS NOT NULL AND protocol_id IS NOT NULL`, paula); n != 1 {
					t.Errorf("no fresh notice to the staff member (%d)", n)
				}
				if n := h.count(`SELECT count(*) FROM steps WHERE author_staff_id IS NOT NULL OR (text LIKE '%Resolvido%' AND visibility <> 'private')`); n != 0 {
					t.Errorf("the expired reply became a staff step")
				}
			}
		})
	}
	keys, _ := core.ParseKeyring("1:a-secret-long-enough-for-tests")
	tok := keys.SignAt(42, 7, paula, now)
	claims, err := keys.Verify(tok, paula)
	if err != nil || claims.ProtocolID != 42 || claims.StaffID != 7 || !claims.Issued.Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("SignAt/Verify: %+v %v", claims, err)
	}
	if len("protocolo+"+tok) > 64 {
		t.Errorf("a dated token does not fit a local part: %d", len(tok))
	}
}

// TestStaffReplyWentOutside: a reply through a staff member's reply
// address (threading rule 1) that was also addressed to someone who is
// neither active staff nor one of our addresses (reply-all, a hand-added
// Cc, the requester included) makes one outside_recipients warning to the
// staff member, listing exactly those addresses; staff, the service's,
// types' and units' addresses, and a reply without such recipients warn
// nobody. The warning stays when the commands are refused.
func TestStaffReplyWentOutside(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido original.")
	warnings := func() int {
		return h.count(`SELECT count(*) FROM notifications WHERE kind = 'outside_recipients'`)
	}
	ours := "ti@orgao.example.gov.br, suporte@orgao.example.gov.br, " + service + ", " + gustavo

	// Only staff and our own addresses: no warning.
	res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"] Impressora", "Despacho interno.", "Cc: "+ours))
	if res.Outcome != core.OutcomeAppended || warnings() != 0 {
		t.Fatalf("a reply to staff and our addresses warned (%d): %+v", warnings(), res)
	}

	// Reply-all to the requester and a stranger, with a private dispatch,
	// through a dated reply address (as mailout signs them).
	dated := "protocolo+" + h.keys.SignAt(h.protocolID(num), h.staffID(paula), paula, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) + "@orgao.example.gov.br"
	res = h.ingest(mail("Paula <"+paula+">", dated+", Cidadã <"+cidada+">",
		"Re: [Protocolo "+num+"] Impressora", "#nota\nTexto interno.", "Cc: "+ours+", Vizinho <VIZINHO@example.net>, "+cidada))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("reply-all: %+v", res)
	}
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings, want 1", n)
	}
	d := h.notificationData(core.NotifyOutsideRecipients, paula)
	got := fmt.Sprint(d["outside"])
	if got != "[cidada@example.org vizinho@example.net]" || fmt.Sprint(d["outside_count"]) != "2" {
		t.Errorf("outside %s (count %v), want the requester and the stranger only", got, d["outside_count"])
	}
	if exp, _ := time.Parse(time.RFC3339, fmt.Sprint(d["token_expires"])); !exp.Equal(time.Date(2027, 2, 18, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the warning does not say when the reply address stops acting: %v", d)
	}
	found := false
	for _, n := range res.Notifications {
		if n.Kind == core.NotifyOutsideRecipients && len(n.To) == 1 && n.To[0] == paula {
			found = true
		}
	}
	if !found {
		t.Errorf("ingest --json does not list the warning to the staff member: %+v", res.Notifications)
	}

	// Refused commands keep the warning (it is about the mail, not the commands).
	res = h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"] Impressora", "#encaminhar NENHUMA\nTexto.",
		"Cc: outro@example.com"))
	if res.Outcome != core.OutcomeCommands || warnings() != 2 {
		t.Errorf("refused commands: %d warnings (%+v)", warnings(), res)
	}

	// The same outside Cc without the staff reply address (DMARC): no token travelled.
	res = h.ingest(mail(paula, service, "Re: [Protocolo "+num+"] Impressora", "Outro despacho.", trusted, "Cc: vizinho@example.net"))
	if warnings() != 2 {
		t.Errorf("a reply without a staff reply address warned: %+v", res)
	}
}
