package mailin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailout"
	"github.com/tramita/tramita/templates"
)

// TestStaffAppearByName: a staff member whose mail client sends a bare
// address (no display name) appears by their registered name in
// `tramita show` (core.Show) and in the unit notice of the step they
// wrote, never by e-mail alone.
func TestStaffAppearByName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	num := h.open("Pedido.")
	res := h.ingest(mail(paula, h.staffAddress(num, paula), "Re: [Protocolo "+num+"]", "#encaminhar GTI\nPor favor, verifiquem a impressora."))
	if res.Outcome != core.OutcomeCommands {
		t.Fatalf("%+v", res)
	}
	v := h.show(num)
	last := v.Steps[len(v.Steps)-1]
	if last.Author != paula || last.AuthorName != "Paula Servidora" {
		t.Errorf("forward step author %q %q, want Paula Servidora", last.Author, last.AuthorName)
	}
	ds, err := h.svc.ClaimDue(context.Background(), time.Now().Add(time.Hour), 100, time.Minute, core.NewClaim(nil))
	if err != nil {
		t.Fatal(err)
	}
	r, err := mailout.NewRenderer(templates.Mail(), "pt-BR")
	if err != nil {
		t.Fatal(err)
	}
	org, err := h.svc.Organization(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range ds {
		if d.Kind != core.NotifyUnitNotice || d.Step == nil || d.Step.Kind != core.StepForwarded {
			continue
		}
		found = true
		if d.Step.AuthorName != "Paula Servidora" {
			t.Errorf("unit notice step author %q, want Paula Servidora", d.Step.AuthorName)
		}
		out, err := r.Render(d.Kind, mailout.NewView(d, org, "pt-BR", "http://consulta.example"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Text, "Despacho de Paula Servidora") {
			t.Errorf("unit notice does not name Paula:\n%s", out.Text)
		}
	}
	if !found {
		t.Fatalf("no unit notice of the forward among %d deliveries", len(ds))
	}
}
