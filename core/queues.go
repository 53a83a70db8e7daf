package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Queue names a list of the staff site (DESIGN.md, "Staff site").
type Queue string

// Queues.
const (
	// QueueInbox (Caixa): protocols held by the staff member's units that are
	// not concluded, most recently changed first.
	QueueInbox Queue = "caixa"
	// QueueDue (Vencendo / Vencidos): open protocols with a hand-off
	// deadline or a legal deadline, the earliest of the two first (overdue
	// ones come first; DESIGN.md, "Staff site").
	QueueDue Queue = "prazos"
	// QueueSuspended (Sobrestados): suspended protocols, most recently changed first.
	QueueSuspended Queue = "sobrestados"
	// QueueAwaiting (Aguardando requerente): protocols waiting for the
	// requester's complement (status awaiting_requester), most recently changed first.
	QueueAwaiting Queue = "aguardando"
)

// ListItem is one protocol in a queue or in search results.
type ListItem struct {
	Number    string
	Subject   string
	Status    Status
	TypeCode  string
	TypeName  string
	UnitCode  string
	UnitName  string
	OpenedAt  time.Time
	UpdatedAt time.Time
	Deadline  *time.Time // hand-off deadline; nil when none
	// LegalDeadline is the answer the body owes the requester by law (Lei
	// 13.460/2017, Lei 12.527/2011); nil when the type has none or while it
	// is interrupted awaiting the requester.
	LegalDeadline *time.Time
	Unread        bool   // nobody of the holding unit has opened it since it arrived there
	Requester     string // requester's (or other requester's) name, else e-mail
	sortTime      time.Time
	id            int64
}

// Due is the earlier of the item's hand-off and legal deadlines (zero
// when it has neither): what Vencendo / Vencidos sorts by.
func (it ListItem) Due() time.Time {
	switch {
	case it.Deadline == nil && it.LegalDeadline == nil:
		return time.Time{}
	case it.Deadline == nil:
		return *it.LegalDeadline
	case it.LegalDeadline == nil || it.Deadline.Before(*it.LegalDeadline):
		return *it.Deadline
	default:
		return *it.LegalDeadline
	}
}

// ListPage is one page of a list with keyset pagination: Next is the
// cursor of the following page, "" on the last one.
type ListPage struct {
	Items []ListItem
	Next  string
}

// DefaultPageSize is the number of protocols on one page of a list.
const DefaultPageSize = 50

// QueueQuery selects a queue page.
type QueueQuery struct {
	Queue Queue
	// Unit restricts the list to one unit (its id); 0 means every unit in scope.
	Unit int64
	// After is the cursor from the previous page's Next; "" for the first page.
	After string
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
}

// args numbers query arguments as they are appended.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// cursor is a keyset position: a time and a protocol id.
type cursor struct {
	t  time.Time
	id int64
}

// ErrBadQuery marks a list or search request that cannot be read (an
// altered page cursor): the asker's mistake, not a failure.
var ErrBadQuery = errors.New("invalid query")

func parseCursor(s string) (cursor, bool, error) {
	if s == "" {
		return cursor{}, false, nil
	}
	a, b, ok := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return cursor{}, false, fmt.Errorf("%w: page cursor %q", ErrBadQuery, s)
	}
	return cursor{t: time.UnixMicro(us).UTC(), id: id}, true, nil
}

func (c cursor) String() string {
	return strconv.FormatInt(c.t.UnixMicro(), 10) + "." + strconv.FormatInt(c.id, 10)
}

// listColumns are the columns listItem scans, over protocols p.
const listColumns = `p.id, p.number, p.subject, p.status, t.code, t.name, u.code, u.name, p.opened_at, p.updated_at, p.deadline,
	p.legal_deadline, p.received_at IS NULL,
	coalesce((SELECT coalesce(nullif(pa.name, ''), pa.email, '') FROM participants pa
		WHERE pa.protocol_id = p.id AND pa.active AND pa.role IN ('requester', 'other_requester')
		ORDER BY pa.role = 'other_requester' DESC, pa.id LIMIT 1), '')`

const listJoins = ` JOIN protocol_types t ON t.id = p.type_id JOIN units u ON u.id = p.unit_id`

func scanList(rows pgx.Rows, limit int, sortBy func(*ListItem) time.Time) (ListPage, error) {
	defer rows.Close()
	page := ListPage{Items: []ListItem{}}
	for rows.Next() {
		var it ListItem
		if err := rows.Scan(&it.id, &it.Number, &it.Subject, &it.Status, &it.TypeCode, &it.TypeName, &it.UnitCode, &it.UnitName,
			&it.OpenedAt, &it.UpdatedAt, &it.Deadline, &it.LegalDeadline, &it.Unread, &it.Requester); err != nil {
			return page, fmt.Errorf("reading list: %w", err)
		}
		if sortBy != nil {
			it.sortTime = sortBy(&it)
		}
		page.Items = append(page.Items, it)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("reading list: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.Next = cursor{t: last.sortTime, id: last.id}.String()
	}
	return page, nil
}

// Queue returns one page of queue q for staff member st: only protocols in
// st's Scope. Unread marks those not yet received in their unit.
func (s *Service) Queue(ctx context.Context, st Staff, q QueueQuery) (ListPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	after, hasAfter, err := parseCursor(q.After)
	if err != nil {
		return ListPage{}, err
	}
	var a args
	where := []string{ScopeOf(st).sql(&a, "p.unit_id")}
	if q.Unit != 0 {
		where = append(where, "p.unit_id = "+a.add(q.Unit))
	}
	order := "p.updated_at DESC, p.id DESC"
	sortBy := func(it *ListItem) time.Time { return it.UpdatedAt }
	keyset := "(p.updated_at, p.id) < (%s, %s)"
	switch q.Queue {
	case QueueInbox, "":
		where = append(where, "p.status <> 'concluded'")
	case QueueSuspended:
		where = append(where, "p.status = 'suspended'")
	case QueueAwaiting:
		where = append(where, "p.status = "+a.add(string(StatusAwaitingRequester)))
	case QueueDue:
		// least() skips a NULL: the earlier of the two deadlines, or the
		// only one (index protocols_due, migration 016).
		where = append(where, "p.status = 'open'", "least(p.deadline, p.legal_deadline) IS NOT NULL")
		order = "least(p.deadline, p.legal_deadline), p.id"
		keyset = "(least(p.deadline, p.legal_deadline), p.id) > (%s, %s)"
		sortBy = func(it *ListItem) time.Time { return it.Due() }
	default:
		return ListPage{}, fmt.Errorf("unknown queue %q", q.Queue)
	}
	if hasAfter {
		where = append(where, fmt.Sprintf(keyset, a.add(after.t), a.add(after.id)))
	}
	sql := "SELECT " + listColumns + " FROM protocols p" + listJoins + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + order + " LIMIT " + a.add(limit+1)
	rows, err := s.pool.Query(ctx, sql, a...)
	if err != nil {
		return ListPage{}, fmt.Errorf("listing %s: %w", q.Queue, err)
	}
	return scanList(rows, limit, sortBy)
}
