package main

import (
	"context"
	"fmt"
	"github.com/tramita/tramita/bench/internal/benchdb"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
)

// generateSQL fills the schema with $1 protocols straight in SQL: numbers
// with their check digits (as bench/lookup), subjects of two words from a
// vocabulary of 100 (each word in about 2 % of subjects), two steps each,
// a requester with a valid CPF on one in ten. Protocols 1..$2 are open in
// unit BENCH; the rest spread over the sample units, one in three
// concluded. The search and queue indexes are dropped first and built once
// at the end, as a bulk load would; the word-search triggers are off during
// the load and protocol_search is filled at the end in one statement with
// what tramita_protocol_search (migration 019) computes per protocol. With
// old, the three per-table GIN indexes the search used before migration 019
// are built too, to time the previous query in the same run.
var generateSQL = []string{
	`SET synchronous_commit = off`,
	`DROP INDEX protocol_search_gin, protocols_unit_id, protocols_unit_queue, protocols_unit_deadline, participants_document`,
	`ALTER TABLE steps DISABLE TRIGGER steps_search`,
	`ALTER TABLE protocols DISABLE TRIGGER protocols_search`,
	`ALTER TABLE participants DISABLE TRIGGER participants_search`,
	`CREATE TEMP TABLE bench_types AS
		SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, unit_id FROM protocol_types WHERE active`,
	`CREATE TEMP TABLE bench_words AS SELECT row_number() OVER () - 1 AS i, w FROM unnest(ARRAY['ligação', 'vazamento', 'religação',
		'hidrômetro', 'esgoto', 'calçada', 'cavalete', 'ramal', 'conta', 'fatura', 'pressão', 'falta', 'água', 'rede', 'buraco',
		'asfalto', 'obra', 'vistoria', 'medição', 'consumo', 'tarifa', 'social', 'corte', 'religamento', 'caixa', 'registro',
		'vala', 'entupimento', 'bueiro', 'poço', 'fossa', 'limpeza', 'caminhão', 'pipa', 'abastecimento', 'reservatório', 'bomba',
		'estação', 'tratamento', 'qualidade', 'cor', 'cheiro', 'gosto', 'turbidez', 'cloro', 'análise', 'laudo', 'certidão',
		'negativa', 'débito', 'parcelamento', 'acordo', 'cadastro', 'titularidade', 'mudança', 'endereço', 'imóvel', 'loteamento',
		'condomínio', 'prédio', 'comércio', 'indústria', 'hospital', 'escola', 'praça', 'rua', 'avenida', 'travessa', 'beco',
		'ladeira', 'morro', 'centro', 'bairro', 'distrito', 'zona', 'rural', 'urbana', 'ponte', 'rio', 'canal', 'lagoa', 'chuva',
		'enchente', 'alagamento', 'retorno', 'refluxo', 'odor', 'ruído', 'vibração', 'dano', 'ressarcimento', 'indenização',
		'reclamação', 'elogio', 'sugestão', 'denúncia', 'fraude', 'gato', 'desvio', 'multa']) AS w`,
	`INSERT INTO protocols (id, number, year, seq, access_key, status, type_id, unit_id, subject, opened_at, updated_at, deadline)
		SELECT g, ` + benchdb.NUPNumber + `, a.yr, a.seq,
			'K' || lpad(g::text, 9, '0'),
			CASE WHEN g <= $2 THEN 'open' ELSE (ARRAY['open', 'suspended', 'concluded'])[g % 3 + 1] END,
			t.id, CASE WHEN g <= $2 THEN (SELECT id FROM units WHERE code = 'BENCH') ELSE t.unit_id END,
			'Pedido de ' || w1.w || ' na ' || w2.w,
			timestamptz '2025-01-01 12:00-03' + g * interval '30 seconds',
			timestamptz '2025-01-02 12:00-03' + g * interval '30 seconds',
			timestamptz '2025-01-10 18:00-03' + g * interval '30 seconds'
		FROM generate_series(1, $1::int) g
		` + benchdb.NUPJoins + `
		JOIN bench_types t ON t.i = g % (SELECT count(*) FROM bench_types)
		JOIN bench_words w1 ON w1.i = (g * 7) % 100
		JOIN bench_words w2 ON w2.i = (g * 13 / 100) % 100`,
	`SELECT setval(pg_get_serial_sequence('protocols', 'id'), $1::int)`,
	`INSERT INTO counters (year, last) VALUES (2025, least($1::int, 500000)), (2026, greatest(0, $1::int - 500000))`,
	// CPF check digits (Receita Federal): weights 10..2, then 11..2; r < 2 gives 0.
	`INSERT INTO participants (protocol_id, role, email, name, document)
		SELECT id, 'requester', 'requerente' || id || '@example.org', 'Requerente ' || (ARRAY['Souza', 'Silva', 'Lima', 'Santos',
			'Oliveira', 'Pereira', 'Costa', 'Rodrigues'])[id % 8 + 1] || ' ' || id,
			CASE WHEN id % 10 = 0 THEN b || d1 || d2 ELSE '' END
		FROM protocols
		CROSS JOIN LATERAL (SELECT lpad(((id * 7919) % 999999999 + 1)::text, 9, '0') AS b) x
		CROSS JOIN LATERAL (SELECT (SELECT sum(substr(b, i, 1)::int * (11 - i)) FROM generate_series(1, 9) i) AS s1) y
		CROSS JOIN LATERAL (SELECT CASE WHEN s1 % 11 < 2 THEN 0 ELSE 11 - s1 % 11 END AS d1) z
		CROSS JOIN LATERAL (SELECT (SELECT sum(substr(b || d1, i, 1)::int * (12 - i)) FROM generate_series(1, 10) i) AS s2) u
		CROSS JOIN LATERAL (SELECT CASE WHEN s2 % 11 < 2 THEN 0 ELSE 11 - s2 % 11 END AS d2) v`,
	`INSERT INTO steps (protocol_id, n, kind, at, author_email, to_unit_id, visibility, text)
		SELECT id, 1, 'opened', opened_at, 'requerente' || id || '@example.org', unit_id, 'public',
			'Bom dia. Solicito providências quanto ao pedido ' || id || '. O problema começou ontem e continua hoje; '
			|| 'peço que a equipe verifique o local com urgência. Obrigado.'
		FROM protocols`,
	`INSERT INTO steps (protocol_id, n, kind, at, author_email, from_unit_id, to_unit_id, visibility, text)
		SELECT id, 2, CASE WHEN id % 2 = 0 THEN 'dispatch' ELSE 'note' END, updated_at, 'servidor@saneamento.example.gov.br',
			unit_id, unit_id, CASE WHEN id % 2 = 0 THEN 'public' ELSE 'private' END,
			'Equipe enviada ao local. Previsão de conclusão do serviço: 48 horas.'
		FROM protocols`,
	`CREATE INDEX protocols_unit_id ON protocols (unit_id, id)`,
	`CREATE INDEX protocols_unit_queue ON protocols (unit_id, updated_at DESC, id DESC) WHERE status <> 'concluded'`,
	`CREATE INDEX protocols_unit_deadline ON protocols (unit_id, deadline, id) WHERE deadline IS NOT NULL AND status = 'open'`,
	`CREATE INDEX participants_document ON participants (document) WHERE document <> ''`,
	`INSERT INTO protocol_search (protocol_id, search)
		SELECT p.id, to_tsvector('tramita_pt', p.subject) || to_tsvector('tramita_names', coalesce(pa.names, ''))
			|| to_tsvector('tramita_pt', coalesce(st.texts, ''))
		FROM protocols p
		LEFT JOIN (SELECT protocol_id, string_agg(name, E'\n' ORDER BY id) AS names FROM participants WHERE name <> '' GROUP BY 1) pa
			ON pa.protocol_id = p.id
		LEFT JOIN (SELECT protocol_id, string_agg(text, E'\n' ORDER BY n) AS texts FROM steps GROUP BY 1) st ON st.protocol_id = p.id`,
	`CREATE INDEX protocol_search_gin ON protocol_search USING gin (search)`,
	`ALTER TABLE steps ENABLE TRIGGER steps_search`,
	`ALTER TABLE protocols ENABLE TRIGGER protocols_search`,
	`ALTER TABLE participants ENABLE TRIGGER participants_search`,
}

// oldIndexesSQL are the per-table GIN indexes of the search before
// migration 019 (009_staff_site.sql), for the -old comparison.
var oldIndexesSQL = []string{
	`CREATE INDEX protocols_fts ON protocols USING gin (to_tsvector('tramita_pt', subject))`,
	`CREATE INDEX steps_fts ON steps USING gin (to_tsvector('tramita_pt', text))`,
	`CREATE INDEX participants_fts ON participants USING gin (to_tsvector('tramita_names', name))`,
}

func generate(ctx context.Context, pool *pgxpool.Pool, n, unitOpen int, old bool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	all := slices.Clone(generateSQL)
	if old {
		all = append(all, oldIndexesSQL...)
	}
	all = append(all, `ANALYZE`)
	for _, sql := range all {
		var args []any
		switch {
		case containsArg(sql, "$2"):
			args = []any{n, unitOpen}
		case containsArg(sql, "$1"):
			args = []any{n}
		}
		t := time.Now()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%.60s…: %w", sql, err)
		}
		fmt.Fprintf(os.Stderr, "  %6.1fs  %.70s\n", time.Since(t).Seconds(), oneLine(sql))
	}
	// The generated numbers and CPFs must be what core accepts.
	var number, cpf string
	if err := conn.QueryRow(ctx, `SELECT number FROM protocols ORDER BY random() LIMIT 1`).Scan(&number); err != nil {
		return err
	}
	if _, err := core.ParseNumber(number); err != nil {
		return fmt.Errorf("generated number %s: %w", number, err)
	}
	if err := conn.QueryRow(ctx, `SELECT document FROM participants WHERE document <> '' ORDER BY random() LIMIT 1`).Scan(&cpf); err != nil {
		return err
	}
	if !core.ValidCPF(cpf) {
		return fmt.Errorf("generated CPF %s is not valid", cpf)
	}
	return nil
}

func containsArg(sql, a string) bool {
	for i := 0; i+len(a) <= len(sql); i++ {
		if sql[i:i+len(a)] == a && (i+len(a) == len(sql) || sql[i+len(a)] < '0' || sql[i+len(a)] > '9') {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	out := []rune{}
	space := false
	for _, r := range s {
		if r == '\n' || r == '\t' || r == ' ' {
			if !space {
				out = append(out, ' ')
			}
			space = true
			continue
		}
		space = false
		out = append(out, r)
	}
	return string(out)
}
