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
