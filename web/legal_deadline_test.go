package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// TestLegalDeadlineAtNumberLevel: the lookup page and its JSON twin show
// the "Prazo de resposta" of a type with a legal deadline with the number
// alone. testNow is Tuesday 10 March 2026 in Maceió: 30dc is Thursday 9 April.
func TestLegalDeadlineAtNumberLevel(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	res, err := svc.Ingest(context.Background(), inbound(1, core.Address{Email: "maria@example.org"},
		"ouvidoria@saneamento.example.gov.br", "Atendimento ruim", "Fui mal atendida na agência."))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := core.ParseNumber(res.Protocol)
	h := newHandler(t, svc, web.Options{})
	page := get(t, h, "/p/"+n.Digits())
	for _, want := range []string{"Prazo de resposta", "09/04/2026", "Lei 13.460/2017, art. 16", "Ouvidoria — reclamação"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	api := get(t, h, "/api/protocolos/"+n.Digits())
	if api.Status != http.StatusOK {
		t.Fatalf("api: %d %s", api.Status, api.Body)
	}
	var v struct {
		LegalDeadline string `json:"legal_deadline"`
		Extended      bool   `json:"extended"`
	}
	if err := json.Unmarshal([]byte(api.Body), &v); err != nil || v.LegalDeadline != "2026-04-09T23:59:00-03:00" || v.Extended {
		t.Errorf("api legal_deadline %q extended %v (%v); want 2026-04-09T23:59:00-03:00 and false", v.LegalDeadline, v.Extended, err)
	}
}
