package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
)

// BenchmarkWriteSearchIndex measures what keeping the word search costs on
// the write path (BENCHMARKS.md, "Staff site"): openings by mail, and staff
// notes of about 1 KB (core.Act, a whole web action: raw message, step,
// notification), each on a fresh schema, with the search as migration 019
// keeps it (triggers and protocol_search) and, in the same run, as before
// (019's triggers dropped, 009's three GIN expression indexes back). Run
// with -count to alternate the two:
//
//	go test ./core -run XXX -bench WriteSearchIndex -benchtime 200x -count 3
func BenchmarkWriteSearchIndex(b *testing.B) {
	note := strings.Repeat("Vistoria do ramal e do hidrômetro marcada para a próxima semana; equipe avisada. ", 13)
	for _, way := range []string{"before-019", "019"} {
		setup := func(b *testing.B) *core.Service {
			pool, _ := testdb.New(b)
			ctx := context.Background()
			if way == "before-019" {
				for _, q := range []string{
					`DROP TRIGGER steps_search ON steps`, `DROP TRIGGER protocols_search ON protocols`,
					`DROP TRIGGER participants_search ON participants`, `DROP TRIGGER participants_search_change ON participants`,
					`DROP INDEX protocols_unit_id`,
					`CREATE INDEX protocols_fts ON protocols USING gin (to_tsvector('tramita_pt', subject))`,
					`CREATE INDEX steps_fts ON steps USING gin (to_tsvector('tramita_pt', text))`,
					`CREATE INDEX participants_fts ON participants USING gin (to_tsvector('tramita_names', name))`,
				} {
					if _, err := pool.Exec(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
			keys, _ := core.ParseKeyring("1:test-secret-of-enough-length")
			svc, err := core.NewService(pool, core.Config{Keys: keys, Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.ApplyOrg(ctx, sampleOrg(b)); err != nil {
				b.Fatal(err)
			}
			return svc
		}
		b.Run("open/"+way, func(b *testing.B) {
			svc := setup(b)
			b.ResetTimer()
			for i := range b.N {
				in := newMail(i, fmt.Sprintf("cidadao%d@example.org", i))
				in.Subject = fmt.Sprintf("Vazamento na rua %d, perto da praça", i)
				in.Text, in.FullText = note, note
				if _, err := svc.Ingest(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("note/"+way, func(b *testing.B) {
			svc := setup(b)
			var ns []core.Number
			for i := range 20 {
				in := newMail(100000+i, "joana.cidada@example.org")
				in.Recipients = []string{"ligacao@saneamento.example.gov.br"}
				res, err := svc.Ingest(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := core.ParseNumber(res.Protocol)
				ns = append(ns, n)
			}
			ana, err := svc.StaffByEmail(context.Background(), "ana.souza@saneamento.example.gov.br")
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				n := ns[i%len(ns)]
				if _, err := svc.Act(context.Background(), core.StaffAction{Staff: ana, Number: &n, Commands: "#nota",
					Dispatch: fmt.Sprintf("%d. %s", i, note), Key: fmt.Sprintf("bench-%d", i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
