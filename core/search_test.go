package core_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tramita/tramita/core"
)

// TestSearchWordsOneVectorPerProtocol: Busca by words finds a protocol by
// its subject, by a step added after it was opened, by a requester's name
// (a changed name is found by the new one only), pages by keyset, and the
// vector the triggers keep is the one tramita_protocol_search makes from
// the rows (what migration 019 filled existing protocols with). Busca by
// e-mail finds a requester by the Reply-To they gave.
func TestSearchWordsOneVectorPerProtocol(t *testing.T) {
	t.Parallel()
	svc := newService(t, fixedNow)
	ctx := context.Background()
	in := newMail(1, "joana.cidada@example.org")
	in.From.Name = "Joana Cidadã"
	in.ReplyTo = []core.Address{{Email: "respostas.joana@example.net"}}
	in.Recipients = []string{"ligacao@saneamento.example.gov.br"}
	in.Subject, in.Text, in.FullText = "Ligação de água na Rua das Acácias", "Peço a ligação.", "Peço a ligação."
	res, err := svc.Ingest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	gcom, _ := core.ParseNumber(res.Protocol)
	other := openTo(t, svc, 2, "ligacao@saneamento.example.gov.br", "Ligação nova no loteamento", "Outra ligação.")
	a, c := staffNamed(t, svc, ana), staffNamed(t, svc, carla)
	if _, err := svc.Act(ctx, core.StaffAction{Staff: a, Number: &gcom, Commands: "#nota", Dispatch: "Vistoria do hidrômetro marcada."}); err != nil {
		t.Fatal(err)
	}
	search := func(st core.Staff, q, after string, limit int) core.ListPage {
		t.Helper()
		page, kind, err := svc.Search(ctx, st, core.SearchQuery{Q: q, After: after, Limit: limit})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if kind != core.SearchWords && kind != core.SearchEmail {
			t.Fatalf("search %q read as %s", q, kind)
		}
		return page
	}
	for q, want := range map[string][]string{
		"hidrometro":                  {gcom.String()}, // a later step's text
		"acácias":                     {gcom.String()}, // the subject
		"cidada":                      {gcom.String()}, // the requester's name, unaccented
		"ligacao":                     {other.String(), gcom.String()},
		"hidrometro loteamento":       nil, // all words, in one protocol
		"respostas.joana@example.net": {gcom.String()},
	} {
		if got := numbers(search(c, q, "", 0)); !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", q, got, want)
		}
	}
	p1 := search(a, "ligacao", "", 1)
	if got := numbers(p1); !slices.Equal(got, []string{other.String()}) || p1.Next == "" {
		t.Fatalf("first page: %v next %q", got, p1.Next)
	}
	if got := numbers(search(a, "ligacao", p1.Next, 1)); !slices.Equal(got, []string{gcom.String()}) {
		t.Errorf("second page: %v", got)
	}
	if _, err := svc.Pool().Exec(ctx, `UPDATE participants SET name = 'Maria Pereira' WHERE name = 'Joana Cidadã'`); err != nil {
		t.Fatal(err)
	}
	if got := numbers(search(c, "cidada", "", 0)); len(got) != 0 {
		t.Errorf("the old name is still found: %v", got)
	}
	if got := numbers(search(c, "pereira", "", 0)); !slices.Equal(got, []string{gcom.String()}) {
		t.Errorf("the new name: %v", got)
	}
	var protocols, vectors, differ int
	if err := svc.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM protocols), (SELECT count(*) FROM protocol_search),
		(SELECT count(*) FROM protocol_search ps JOIN protocols p ON p.id = ps.protocol_id
		 WHERE tsvector_to_array(ps.search) <> tsvector_to_array(tramita_protocol_search(p.id, p.subject)))`).
		Scan(&protocols, &vectors, &differ); err != nil {
		t.Fatal(err)
	}
	if protocols != 2 || vectors != 2 || differ != 0 {
		t.Errorf("%d protocols, %d vectors, %d differ from tramita_protocol_search", protocols, vectors, differ)
	}
}

// TestSearchWordsGatherAndWalkAgree: Busca by words looks rare words up by
// the ids of their matches and walks the newest protocols for common ones;
// both give the same pages, in scope, for every staff member. (Not
// parallel: it changes the threshold between the two.)
func TestSearchWordsGatherAndWalkAgree(t *testing.T) {
	svc := newService(t, fixedNow)
	ctx := context.Background()
	subjects := []string{"Ligação de água na Rua das Acácias", "Vazamento de água na calçada", "Ligação nova no loteamento",
		"Vazamento no cavalete", "Conta de água alta", "Ligação cortada por engano"}
	rcpts := []string{"ligacao@saneamento.example.gov.br", "vazamento@saneamento.example.gov.br"}
	for i, subj := range subjects {
		openTo(t, svc, 10+i, rcpts[i%2], subj, "Texto do pedido "+subj)
	}
	staff := []core.Staff{staffNamed(t, svc, ana), staffNamed(t, svc, bruno), staffNamed(t, svc, carla)}
	pages := func(st core.Staff, q string) [][]string {
		var out [][]string
		after := ""
		for range 10 {
			page, _, err := svc.Search(ctx, st, core.SearchQuery{Q: q, After: after, Limit: 2})
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			out = append(out, numbers(page))
			if after = page.Next; after == "" {
				break
			}
		}
		return out
	}
	queries := []string{"agua", "ligacao", "vazamento", "acacias", "joana", "pedido", "agua ligacao", "nada disso"}
	want := map[string][][]string{}
	for _, st := range staff {
		for _, q := range queries {
			want[st.Email+" "+q] = pages(st, q)
		}
	}
	if n := len(want[carla+" agua"][0]) + len(want[carla+" agua"][1]); n != 3 {
		t.Errorf("admin, agua: %v", want[carla+" agua"])
	}
	for _, max := range []int{0, 1, 3} {
		restore := core.SetSearchGatherMax(max)
		for _, st := range staff {
			for _, q := range queries {
				if got := pages(st, q); !slices.EqualFunc(got, want[st.Email+" "+q], slices.Equal) {
					t.Errorf("gather max %d, %s, %q: %v, want %v", max, st.Email, q, got, want[st.Email+" "+q])
				}
			}
		}
		restore()
	}
}
