package mailin_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/testdb"
	"github.com/tramita/tramita/mailin"
)

// sharedDir returns ../../shared/NAME, skipping the test only when the
// folder is absent (a user's clone without shared/).
func sharedDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", name)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skipf("%s is absent (shared/ is only beside the project in the workplace and CI)", dir)
	}
	return dir
}

// harness runs intake against a real PostgreSQL schema with the
// organization the shared cases assume (protocolo@orgao.example.gov.br).
type harness struct {
	t    *testing.T
	svc  *core.Service
	pool *pgxpool.Pool
	ing  *mailin.Ingester
	keys *core.Keyring
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	pool, _ := testdb.New(t)
	keys, err := core.ParseKeyring("7:harness-secret-long-enough")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	svc, err := core.NewService(pool, core.Config{Keys: keys, Logger: log, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	var spec core.OrgSpec
	spec.Organization.Name = "Órgão Exemplo"
	spec.Organization.NUPUnit = "23037"
	spec.Organization.Address = "protocolo@orgao.example.gov.br"
	spec.Organization.Timezone = "America/Sao_Paulo"
	spec.Organization.AuthservIDs = []string{"mx.orgao.example.gov.br"}
	spec.Units = append(spec.Units,
		core.OrgUnit{Code: "PROT", Name: "Protocolo Geral"},
		core.OrgUnit{Code: "GTI", Name: "Gerência de Tecnologia da Informação", Email: "ti@orgao.example.gov.br"},
		core.OrgUnit{Code: "DIR", Name: "Diretoria"})
	spec.Staff = append(spec.Staff, core.OrgStaff{Email: "paula.servidora@orgao.example.gov.br", Name: "Paula Servidora", Units: []string{"PROT"}, Role: "staff"},
		core.OrgStaff{Email: "gustavo.ti@orgao.example.gov.br", Name: "Gustavo Técnico", Units: []string{"GTI"}, Role: "staff"},
		core.OrgStaff{Email: "marta.diretora@orgao.example.gov.br", Name: "Marta Diretora", Units: []string{"DIR"}, Role: "admin"})
	spec.Types = append(spec.Types, core.OrgType{Code: "OUTROS", Name: "Outros", Unit: "PROT", Deadline: "5du"},
		core.OrgType{Code: "SUPORTE", Name: "Suporte técnico", Unit: "GTI", Addresses: []string{"suporte@orgao.example.gov.br"}, Visibility: "public"})
	if _, err := svc.ApplyOrg(context.Background(), &spec); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, svc: svc, pool: pool, ing: &mailin.Ingester{Core: svc, Log: log}, keys: keys}
}

// seed creates protocol number (as if opened earlier) with its requester,
// Cc participants and Message-IDs: in = received for it, out = sent by Tramita.
func (h *harness) seed(number, requester string, ccs []string, in, out []string) int64 {
	h.t.Helper()
	ctx := context.Background()
	n, err := core.ParseNumber(number)
	if err != nil {
		h.t.Fatalf("seed %s: %v", number, err)
	}
	var id int64
	err = h.pool.QueryRow(ctx, `
		INSERT INTO protocols (number, year, seq, access_key, type_id, unit_id, subject, opened_at, updated_at)
		SELECT $1, $2, $3, 'KEY2345678', t.id, t.unit_id, 'Assunto original', now() - interval '3 days', now() - interval '3 days'
		FROM protocol_types t WHERE t.code = 'OUTROS' RETURNING id`, n.String(), n.Year, n.Seq).Scan(&id)
	if err != nil {
		h.t.Fatalf("seed %s: %v", number, err)
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO counters (year, last) VALUES ($1, $2)
		ON CONFLICT (year) DO UPDATE SET last = greatest(counters.last, $2)`, n.Year, n.Seq); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO participants (protocol_id, role, email) VALUES ($1, 'requester', $2)`, id, requester); err != nil {
		h.t.Fatal(err)
	}
	for _, c := range ccs {
		if _, err := h.pool.Exec(ctx, `INSERT INTO participants (protocol_id, role, email) VALUES ($1, 'cc', $2)`, id, c); err != nil {
			h.t.Fatal(err)
		}
	}
	if _, err := h.pool.Exec(ctx, `INSERT INTO steps (protocol_id, n, kind, at, author_email, to_unit_id, visibility, text)
		SELECT $1, 1, 'opened', now() - interval '3 days', $2, unit_id, 'public', 'Texto original' FROM protocols WHERE id = $1`,
		id, requester); err != nil {
		h.t.Fatal(err)
	}
	for dir, ids := range map[string][]string{"in": in, "out": out} {
		for _, mid := range ids {
			if _, err := h.pool.Exec(ctx, `INSERT INTO message_index (message_id, protocol_id, direction) VALUES ($1, $2, $3)`,
				mid, id, dir); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	return id
}

func (h *harness) ingestFile(path string) core.IngestResult {
	h.t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.ingest(raw)
}

func (h *harness) ingest(raw []byte) core.IngestResult {
	h.t.Helper()
	res, err := h.ing.Ingest(context.Background(), raw, core.Source{Kind: "pipe"})
	if err != nil {
		h.t.Fatalf("ingest: %v", err)
	}
	return res
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (h *harness) show(number string) core.ProtocolView {
	h.t.Helper()
	n, err := core.ParseNumber(number)
	if err != nil {
		h.t.Fatal(err)
	}
	v, err := h.svc.Show(context.Background(), n)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}
