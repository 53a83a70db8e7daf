package mailin_test

import (
	"fmt"
	"testing"

	"github.com/tramita/tramita/core"
)

// TestForgedStaffFloodIsNotAmplified: anyone can put a staff address in
// From. Each such message is kept (a private message, never a staff step)
// and its staff member told at the registered address, but a flood of them
// must not become a flood of official mail from the organization to that
// mailbox: at most core.DefaultAckLimit notices an hour.
func TestForgedStaffFloodIsNotAmplified(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res := h.ingest(mail("Cidadã <"+cidada+">", service, "Impressora não imprime", "Pedido."))
	if res.Outcome != core.OutcomeCreated {
		t.Fatalf("open: %+v", res)
	}
	num := res.Protocol
	const flood = 12
	for i := range flood {
		res := h.ingest(mail(paula, service, "Re: [Protocolo "+num+"] Impressora não imprime", fmt.Sprintf("#concluir\nforjada %d", i)))
		if res.Protocol != num {
			t.Fatalf("forged mail %d did not thread (the test tests nothing): %+v", i, res)
		}
	}
	if n := h.count(`SELECT count(*) FROM steps WHERE text LIKE '%forjada%'`); n != flood {
		t.Errorf("%d of %d forged messages kept", n, flood)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'command_rejected'`); n < 1 || n > core.DefaultAckLimit {
		t.Errorf("%d forged messages made %d rejection notices, want 1 to %d", flood, n, core.DefaultAckLimit)
	}
}

// TestRefutedSenderTokenDoesNotCommand: a staff reply address travels with
// every forward of a notice (a staff member sends the unit notice on to a
// supplier); whoever holds it need only write the staff member's From. When
// the organization's own MX says that From failed DMARC (a p=none policy
// delivers such mail), the signed address does not make the commands the
// staff member's. Without that verdict, or with a pass, they still run.
func TestRefutedSenderTokenDoesNotCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		header  string
		applied bool
	}{
		{"dmarc=fail for the From domain", "Authentication-Results: mx.orgao.example.gov.br; spf=fail smtp.mailfrom=evil.example; dmarc=fail (p=none) header.from=orgao.example.gov.br", false},
		{"dmarc=fail without header.from", "Authentication-Results: mx.orgao.example.gov.br; dmarc=fail", false},
		{"no Authentication-Results", "", true},
		{"dmarc=pass", trusted, true},
		{"dmarc=fail from an untrusted server", "Authentication-Results: mx.evil.example; dmarc=fail header.from=orgao.example.gov.br", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			num := h.open("Pedido original.")
			var headers []string
			if c.header != "" {
				headers = append(headers, c.header)
			}
			res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"] Impressora", "#concluir\nResolvido.", headers...))
			if concluded := h.show(num).Status == core.StatusConcluded; concluded != c.applied {
				t.Fatalf("applied = %v, want %v (%+v)", concluded, c.applied, res)
			}
			if !c.applied {
				if n := h.count(`SELECT count(*) FROM steps WHERE author_staff_id IS NOT NULL`); n != 0 {
					t.Errorf("the refuted message became a staff step")
				}
			}
		})
	}
}
