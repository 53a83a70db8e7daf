package staffweb_test

import (
	"context"
	"github.com/tramita/tramita/internal/showtest"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/staffweb"
)

// TestLegalControlsEqualMailCommands: the page's structured controls for
// #prorrogar and #concluir RESULTADO run the same core commands as a mail
// reply: identical show --json, and a refused second extension shows its
// reason on the page.
func TestLegalControlsEqualMailCommands(t *testing.T) {
	t.Parallel()
	s := newSite(t, staffweb.Options{})
	ctx := context.Background()
	const davi = "davi.ouvidor@saneamento.example.gov.br"
	byMail := s.open(t, 0, "ouvidoria@saneamento.example.gov.br", "Reclamação", "texto")
	byPage := s.open(t, 1, "ouvidoria@saneamento.example.gov.br", "Reclamação", "texto")
	st, err := s.svc.StaffByEmail(ctx, davi)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.svc.ProtocolByNumber(ctx, byMail)
	if err != nil {
		t.Fatal(err)
	}
	text := "#prorrogar aguardamos o laudo técnico"
	if _, err := s.svc.Ingest(ctx, core.Inbound{Raw: []byte("From: " + davi + "\r\nSubject: Re: Reclamação\r\n\r\n" + text + "\r\n"),
		MessageID: "davi-1@saneamento.example.gov.br", Subject: "Reclamação", From: core.Address{Name: "Davi Rocha", Email: davi},
		Class: core.ClassNormal, Text: text, CommandText: text, FullText: text, Match: core.Match{ProtocolID: ref.ID, StaffID: st.ID, Rule: "token"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.SetStaffPassword(ctx, davi, pass); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.signIn(davi)
	p := b.post("/gestao/p/"+byPage.Digits(), url.Values{"prorrogar": {"aguardamos o laudo técnico"}, "chave": {"p1"}})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "prazo de resposta prorrogado") {
		t.Fatalf("page #prorrogar: %d %s", p.Status, p.Body)
	}
	mv, _ := s.svc.Show(ctx, byMail)
	wv, _ := s.svc.Show(ctx, byPage)
	if a, b := showtest.Comparable(t, wv), showtest.Comparable(t, mv); a != b {
		t.Errorf("show --json differs\npage: %s\nmail: %s", a, b)
	}
	if !wv.Extended || wv.LegalDeadline == nil {
		t.Errorf("page extension: extended %v deadline %v", wv.Extended, wv.LegalDeadline)
	}
	p = b.post("/gestao/p/"+byPage.Digits(), url.Values{"prorrogar": {"de novo"}, "chave": {"p2"}})
	if !strings.Contains(p.Body, "já foi prorrogado") {
		t.Errorf("second extension on the page: %d %s", p.Status, p.Body)
	}
	p = b.post("/gestao/p/"+byPage.Digits(), url.Values{"concluir": {"1"}, "resultado": {"improcedente"}, "despacho": {"Sem falha do serviço."},
		"chave": {"p3"}})
	if v, _ := s.svc.Show(ctx, byPage); v.Status != core.StatusConcluded || v.Result != "improcedente" {
		t.Errorf("page #concluir improcedente: %d, status %s result %q", p.Status, v.Status, v.Result)
	}
}
