package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	from := "protocols p"
	// mode, when set, is how the statement is sent: a cached prepared
	// statement may end up planned once for any value, which is wrong when
	// the value decides the plan; an unnamed one is planned with it.
	var mode []any
	switch kind {
	case SearchNumber:
		where = append(where, "p.number = "+a.add(value))
	case SearchDocument:
		where = append(where, "p.id IN (SELECT protocol_id FROM participants WHERE document = "+a.add(value)+")")
	case SearchEmail:
		v := a.add(value)
		where = append(where, "p.id IN (SELECT protocol_id FROM participants WHERE email = "+v+" OR reply_to = "+v+")")
	case SearchWords:
		// One vector per protocol (protocol_search: subject, step texts,
		// names; migration 019) with one GIN index. Which way is quick
		// depends on how many protocols have the words, which the planner
		// can only guess (a rare word is guessed as common as the least
		// common of its statistics, and it then walks every protocol
		// looking for one). So it is counted first, up to
		// searchGatherMax: rare words are looked up by the ids found;
		// common ones walk the newest protocols (in scope: index
		// protocols_unit_id) until the page is full. Either way the scope
		// and the filters are conditions of the final statement.
		ids, common, err := s.wordMatches(ctx, value, after.id, hasAfter)
		if err != nil {
			return ListPage{}, kind, err
		}
		if common {
			v := a.add(value)
			from = "protocol_search ps JOIN protocols p ON p.id = ps.protocol_id"
			where = append(where, "ps.search @@ "+wordQuery(v))
		} else {
			where = append(where, "p.id = ANY("+a.add(ids)+"::bigint[])")
		}
		mode = []any{pgx.QueryExecModeCacheDescribe}
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
	sql := "SELECT " + listColumns + " FROM " + from + listJoins + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY p.id DESC LIMIT " + a.add(limit+1)
	rows, err := s.pool.Query(ctx, sql, append(mode, a...)...)
	if err != nil {
		return ListPage{}, kind, fmt.Errorf("searching: %w", err)
	}
	page, err := scanList(rows, limit, func(*ListItem) time.Time { return time.Unix(0, 0) })
	return page, kind, err
}

// searchGatherMax is how many protocols with the searched words Search
// looks up one by one; with more, it walks the newest protocols instead.
// Both cost about the same there (BENCHMARKS.md, "Staff site"). A
// variable for the tests, which run both ways.
var searchGatherMax = 2000

// wordQuery is the text search query of the words in parameter v: the
// Portuguese stems (subjects, texts) or the unaccented words (names).
func wordQuery(v string) string {
	return "(websearch_to_tsquery('tramita_pt', " + v + ") || websearch_to_tsquery('tramita_names', " + v + "))"
}

// wordMatches returns the ids of the protocols whose vector has words
// (below before when hasBefore), or common = true when there are more than
// searchGatherMax of them. It reads the GIN index only (and the matching
// rows of the narrow protocol_search table), whatever the scope.
func (s *Service) wordMatches(ctx context.Context, words string, before int64, hasBefore bool) (ids []int64, common bool, err error) {
	var a args
	sql := "SELECT protocol_id FROM protocol_search WHERE search @@ " + wordQuery(a.add(words))
	if hasBefore {
		sql += " AND protocol_id < " + a.add(before)
	}
	sql += " LIMIT " + a.add(searchGatherMax+1)
	rows, err := s.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, a...)...)
	if err != nil {
		return nil, false, fmt.Errorf("searching words: %w", err)
	}
	ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, false, fmt.Errorf("searching words: %w", err)
	}
	if len(ids) > searchGatherMax {
		return nil, true, nil
	}
	return ids, false, nil
}
