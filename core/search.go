package core

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SearchQuery is a Busca of the staff site (DESIGN.md, "Staff site"). Q is
// read as, in order: a protocol number (with or without punctuation, both
// check digits verified), a CPF/CNPJ (check digits verified), an e-mail
// address, or words, which are looked up by PostgreSQL full-text search
// (configuration tramita_pt: Portuguese stemming over unaccented words) in
// subjects and step texts, and in the names of requesters. The filters
// narrow any of these; with Q empty they list protocols by the filters alone.
type SearchQuery struct {
	Q        string
	TypeCode string    // "" for any type
	UnitCode string    // holding unit; "" for any unit in scope
	Status   Status    // "" for any status
	From, To time.Time // opening date range, inclusive from, exclusive to; zero for open-ended
	After    string    // cursor of the previous page's Next
	Limit    int       // page size; 0 means DefaultPageSize
}

// SearchKind says how Search read the query.
type SearchKind string

// Search kinds.
const (
	SearchAll      SearchKind = "all"      // no query text: filters only
	SearchNumber   SearchKind = "number"   // a protocol number
	SearchDocument SearchKind = "document" // a CPF/CNPJ
	SearchEmail    SearchKind = "email"    // an e-mail address
	SearchWords    SearchKind = "words"    // full-text search
)

// ClassifySearch says how Search reads q, with the normalized value it
// looks up (the formatted number, the normalized document, the lower-case
// address or the words).
func ClassifySearch(q string) (SearchKind, string) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return SearchAll, ""
	case strings.Contains(q, "@") && !strings.ContainsAny(q, " \t"):
		return SearchEmail, strings.ToLower(q)
	}
	if n, err := ParseNumber(q); err == nil {
		return SearchNumber, n.String()
	}
	if d, _, err := NormalizeDocument(q); err == nil {
		return SearchDocument, d
	}
	return SearchWords, q
}

// Search returns one page of the protocols matching q that st may see
// (ScopeOf), newest first. A result never includes a protocol outside the
// scope: the scope is a condition of the same SQL statement.
func (s *Service) Search(ctx context.Context, st Staff, q SearchQuery) (ListPage, SearchKind, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	after, hasAfter, err := parseCursor(q.After)
	if err != nil {
		return ListPage{}, "", err
	}
	// Typed by a person or altered in a URL: text PostgreSQL accepts.
	q.Q, q.TypeCode, q.UnitCode, q.Status = DBText(q.Q), DBText(q.TypeCode), DBText(q.UnitCode), Status(DBText(string(q.Status)))
	kind, value := ClassifySearch(q.Q)
	var a args
	where := []string{ScopeOf(st).sql(&a, "p.unit_id")}
	with, from := "", "protocols p"
	switch kind {
	case SearchNumber:
		where = append(where, "p.number = "+a.add(value))
	case SearchDocument:
		where = append(where, "p.id IN (SELECT protocol_id FROM participants WHERE document = "+a.add(value)+")")
	case SearchEmail:
		v := a.add(value)
		where = append(where, "p.id IN (SELECT protocol_id FROM participants WHERE email = "+v+" OR reply_to = "+v+")")
	case SearchWords:
		// The matches are gathered first (each table through its GIN
		// index), then each is looked up: left to itself the planner may
		// walk every protocol newest first looking for the few of one unit.
		v := a.add(value)
		with = `WITH m AS MATERIALIZED (
			SELECT id FROM protocols WHERE to_tsvector('tramita_pt', subject) @@ websearch_to_tsquery('tramita_pt', ` + v + `)
			UNION SELECT protocol_id FROM steps WHERE to_tsvector('tramita_pt', text) @@ websearch_to_tsquery('tramita_pt', ` + v + `)
			UNION SELECT protocol_id FROM participants WHERE to_tsvector('tramita_names', name) @@ websearch_to_tsquery('tramita_names', ` + v + `)) `
		// OFFSET 0 keeps the lookup of each match a nested loop: the
		// planner cannot estimate the CTE and otherwise merge-joins it
		// with a backward walk of every protocol.
		from = "m CROSS JOIN LATERAL (SELECT * FROM protocols pp WHERE pp.id = m.id OFFSET 0) p"
	}
	if q.TypeCode != "" {
		where = append(where, "t.code = "+a.add(strings.ToUpper(q.TypeCode)))
	}
	if q.UnitCode != "" {
		where = append(where, "u.code = "+a.add(strings.ToUpper(q.UnitCode)))
	}
	if q.Status != "" {
		where = append(where, "p.status = "+a.add(string(q.Status)))
	}
	if !q.From.IsZero() {
		where = append(where, "p.opened_at >= "+a.add(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "p.opened_at < "+a.add(q.To))
	}
	if hasAfter {
		where = append(where, "p.id < "+a.add(after.id))
	}
	sql := with + "SELECT " + listColumns + " FROM " + from + listJoins + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY p.id DESC LIMIT " + a.add(limit+1)
	rows, err := s.pool.Query(ctx, sql, a...)
	if err != nil {
		return ListPage{}, kind, fmt.Errorf("searching: %w", err)
	}
	page, err := scanList(rows, limit, func(*ListItem) time.Time { return time.Unix(0, 0) })
	return page, kind, err
}
