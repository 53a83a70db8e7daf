package mailin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
)

// treatment is what a spoofed command must lead to.
type treatment int

const (
	rejectedNotice treatment = iota // command_rejected to the registered staff address, text kept as a plain step
	plainText                       // no notice: the # lines are plain text of a requester/stranger message
	recordedOnly                    // automatic mail: recorded, nothing sent
	newProtocol                     // a stranger: a new protocol, never a step on this one
)

// TestSpoofedCommandsNeverApply sends messages that try to command a
// protocol without the right to; none may change it, and each gets the
// treatment DESIGN.md documents ("Who may command").
func TestSpoofedCommandsNeverApply(t *testing.T) {
	t.Parallel()
	type spoof struct {
		name  string
		build func(h *harness, num string) []byte
		want  treatment
	}
	subj := func(num string) string { return "Re: [Protocolo " + num + "] Impressora não imprime" }
	evil := func(h *harness, num string, from string, headers ...string) []byte {
		return mail(from, service, subj(num), "#concluir\n#encaminhar DIR\nFeito.", headers...)
	}
	tokenFor := func(h *harness, num string, staff, recipient string) string {
		return "protocolo+" + h.keys.Sign(h.protocolID(num), h.staffID(staff), recipient) + "@orgao.example.gov.br"
	}
	cases := []spoof{
		{"forged From, no Authentication-Results", func(h *harness, n string) []byte { return evil(h, n, paula) }, rejectedNotice},
		{"header from an untrusted authserv-id", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.evil.example; dmarc=pass header.from=orgao.example.gov.br")
		}, rejectedNotice},
		{"trusted header below an untrusted one", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: relay.example.net; dmarc=none",
				"Authentication-Results: mx.orgao.example.gov.br; dmarc=pass header.from=orgao.example.gov.br")
		}, rejectedNotice},
		{"trusted header says dmarc=fail", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.orgao.example.gov.br; dkim=fail header.d=orgao.example.gov.br; dmarc=fail header.from=orgao.example.gov.br")
		}, rejectedNotice},
		{"dkim=pass for an unaligned domain", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.orgao.example.gov.br; dkim=pass header.d=evil.example; dmarc=none")
		}, rejectedNotice},
		{"dmarc=pass for another From domain", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.orgao.example.gov.br; dmarc=pass header.from=evil.example")
		}, rejectedNotice},
		{"spf=pass only", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.orgao.example.gov.br; spf=pass smtp.mailfrom=orgao.example.gov.br")
		}, rejectedNotice},
		{"malformed Authentication-Results", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: ;;; dmarc")
		}, rejectedNotice},
		{"look-alike authserv-id", func(h *harness, n string) []byte {
			return evil(h, n, paula, "Authentication-Results: mx.orgao.example.gov.br.evil.example; dmarc=pass header.from=orgao.example.gov.br")
		}, rejectedNotice},
		{"token for another recipient", func(h *harness, n string) []byte {
			return mail(paula, tokenFor(h, n, paula, "someone@evil.example"), subj(n), "#concluir")
		}, rejectedNotice},
		{"token for another protocol, tampered", func(h *harness, n string) []byte {
			addr := tokenFor(h, n, paula, paula)
			tok := addr[len("protocolo+"):strings.IndexByte(addr, '@')]
			flipped := []byte(tok)
			flipped[3] = map[bool]byte{true: 'b', false: 'a'}[flipped[3] == 'a']
			return mail(paula, "protocolo+"+string(flipped)+"@orgao.example.gov.br", subj(n), "#concluir")
		}, rejectedNotice},
		{"token signed with an unknown (rotated-out) key", func(h *harness, n string) []byte {
			old, _ := core.ParseKeyring("9:an-old-secret-no-longer-in-the-ring")
			return mail(paula, "protocolo+"+old.Sign(h.protocolID(n), h.staffID(paula), paula)+"@orgao.example.gov.br", subj(n), "#concluir")
		}, rejectedNotice},
		{"token signed with a forged key of the current id", func(h *harness, n string) []byte {
			forged, _ := core.ParseKeyring("7:attacker-guessed-secret-value")
			return mail(paula, "protocolo+"+forged.Sign(h.protocolID(n), h.staffID(paula), paula)+"@orgao.example.gov.br", subj(n), "#concluir")
		}, rejectedNotice},
		{"garbage token", func(h *harness, n string) []byte {
			return mail(paula, "protocolo+zzzzzzzzzzzz@orgao.example.gov.br", subj(n), "#concluir")
		}, rejectedNotice},
		{"staff token replayed from the requester's address", func(h *harness, n string) []byte {
			return mail(cidada, tokenFor(h, n, paula, paula), subj(n), "#concluir")
		}, plainText},
		{"requester sends #concluir", func(h *harness, n string) []byte {
			return mail(cidada, service, subj(n), "#concluir\nJá resolvi, obrigado.")
		}, plainText},
		{"requester with a requester token sends #encaminhar", func(h *harness, n string) []byte {
			addr := "protocolo+" + h.keys.Sign(h.protocolID(n), 0, cidada) + "@orgao.example.gov.br"
			return mail(cidada, addr, subj(n), "#encaminhar DIR")
		}, plainText},
		{"Cc participant sends #concluir", func(h *harness, n string) []byte {
			return mail("colega@example.org", service, subj(n), "#concluir")
		}, plainText},
		{"display name pretends to be staff", func(h *harness, n string) []byte {
			return evil(h, n, `"`+paula+`" <attacker@evil.example>`, trusted)
		}, newProtocol},
		{"staff plus-address variant", func(h *harness, n string) []byte {
			return evil(h, n, "paula.servidora+x@orgao.example.gov.br", trusted)
		}, newProtocol},
		{"look-alike staff domain", func(h *harness, n string) []byte {
			return evil(h, n, "paula.servidora@orgao-example.gov.br")
		}, newProtocol},
		{"stranger with the tag", func(h *harness, n string) []byte {
			return evil(h, n, "stranger@evil.example", trusted)
		}, newProtocol},
		{"staff auto-reply with commands", func(h *harness, n string) []byte {
			return evil(h, n, paula, trusted, "Auto-Submitted: auto-replied")
		}, recordedOnly},
		{"inactive staff with a once-valid token", func(h *harness, n string) []byte {
			addr := tokenFor(h, n, paula, paula)
			if _, err := h.pool.Exec(context.Background(), `UPDATE staff SET active = false WHERE email = $1`, paula); err != nil {
				h.t.Fatal(err)
			}
			return mail(paula, addr, subj(n), "#concluir")
		}, plainText},
	}
	if len(cases) < 20 {
		t.Fatalf("the suite needs at least 20 messages, has %d", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			num := h.open("Pedido original.")
			before := h.show(num)
			res := h.ingest(c.build(h, num))
			after := h.show(num)
			if after.Status != before.Status || after.Unit != before.Unit || after.Type != before.Type ||
				(after.Deadline == nil) != (before.Deadline == nil) || (after.Deadline != nil && !after.Deadline.Equal(*before.Deadline)) {
				t.Fatalf("protocol changed: %s/%s → %s/%s", before.Status, before.Unit, after.Status, after.Unit)
			}
			for _, s := range after.Steps {
				switch s.Kind {
				case core.StepConcluded, core.StepForwarded, core.StepDeadline, core.StepReply:
					t.Fatalf("a command step was recorded: %+v", s)
				}
			}
			rejected := h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected'`)
			results := h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_result'`)
			if results != 0 {
				t.Errorf("a command transcript was sent: commands were taken as authenticated")
			}
			switch c.want {
			case rejectedNotice:
				if rejected != 1 || h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected' AND to_addrs = ARRAY[$1]`, paula) != 1 {
					t.Errorf("want one command_rejected to the registered address, got %d (%+v)", rejected, res)
				}
				if last := after.Steps[len(after.Steps)-1]; res.Protocol != num || !strings.Contains(last.Text, "#concluir") {
					t.Errorf("the text is not kept as written on the protocol: %+v", last)
				}
			case plainText:
				if rejected != 0 {
					t.Errorf("a rejection notice went out for a non-staff sender")
				}
				if last := after.Steps[len(after.Steps)-1]; last.Kind != core.StepMessage || !strings.Contains(last.Text, "#") {
					t.Errorf("want a plain message step with the # lines as text, got %+v", last)
				}
			case recordedOnly:
				if res.Outcome != core.OutcomeRecorded || len(res.Notifications) != 0 {
					t.Errorf("automatic mail: %+v", res)
				}
			case newProtocol:
				if res.Protocol == num || res.Outcome != core.OutcomeCreated || rejected != 0 {
					t.Errorf("a stranger's message: %+v (rejections %d)", res, rejected)
				}
			}
		})
	}
}
