//go:build faults

package faults

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// dbCount runs a query returning one integer (errors, for instance while
// PostgreSQL restarts, are returned for the caller to retry).
func (w *world) dbCount(sql string, args ...any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := w.pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}

// intakeDone reports whether n protocols exist and, with IMAP, INBOX is
// empty.
func (w *world) intakeDone(n int) (bool, string) {
	protocols, err := w.dbCount(`SELECT count(*) FROM protocols`)
	if err != nil {
		return false, "database: " + err.Error()
	}
	status := fmt.Sprintf("%d of %d protocols", protocols, n)
	if w.imap == nil {
		return protocols >= n, status
	}
	counts, err := w.mailboxCounts()
	if err != nil {
		return false, status + "; IMAP: " + err.Error()
	}
	status += fmt.Sprintf("; mailboxes %v", counts)
	return protocols >= n && counts[inbox] == 0, status
}

// outboxDone reports whether no notification is queued and the sink holds
// a copy of every notification for every recipient.
func (w *world) outboxDone() (bool, string) {
	st, err := w.outbox()
	if err != nil {
		return false, "database: " + err.Error()
	}
	return st.Queued == 0 && st.Missing == 0, st.String()
}

// outboxState is the outbox compared with what the sink received.
type outboxState struct {
	Notifications, Queued, Sent, Failed, Held int
	Recipients                                int // (notification, recipient) pairs
	Missing                                   int // pairs the sink has no copy of
	missingSample                             []string
}

func (o outboxState) String() string {
	s := fmt.Sprintf("%d notifications (%d queued, %d sent, %d failed, %d held), %d copies owed, %d not received",
		o.Notifications, o.Queued, o.Sent, o.Failed, o.Held, o.Recipients, o.Missing)
	if len(o.missingSample) > 0 {
		s += " e.g. " + strings.Join(o.missingSample, ", ")
	}
	return s
}

func (w *world) outbox() (outboxState, error) {
	var o outboxState
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := w.pool.Query(ctx, `SELECT message_id, to_addrs, cc_addrs, status FROM notifications`)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var mid, status string
		var to, cc []string
		if err := rows.Scan(&mid, &to, &cc, &status); err != nil {
			return o, err
		}
		o.Notifications++
		switch status {
		case "queued":
			o.Queued++
		case "sent":
			o.Sent++
		case "failed":
			o.Failed++
		case "held":
			o.Held++
		}
		var seen []string
		for _, r := range append(to, cc...) {
			r = strings.ToLower(strings.TrimSpace(r))
			if r == "" || slices.Contains(seen, r) {
				continue
			}
			seen = append(seen, r)
			o.Recipients++
			if _, ok := w.sink.received(mid, r); !ok {
				o.Missing++
				if len(o.missingSample) < 3 {
					o.missingSample = append(o.missingSample, mid+" → "+r)
				}
			}
		}
	}
	return o, rows.Err()
}

// checkExactlyOnce checks that every Message-ID of ids opened exactly one
// protocol, that nothing else was stored, and (with IMAP) that INBOX and
// the failed folder are empty and the processed folder holds every
// message. It returns what it counted, for the figures.
func (w *world) checkExactlyOnce(ids []string) (c exactlyOnce) {
	t := w.t
	t.Helper()
	protocols, err := w.dbCount(`SELECT count(*) FROM protocols`)
	if err != nil {
		t.Fatal(err)
	}
	if protocols != len(ids) {
		t.Errorf("%d protocols for %d messages", protocols, len(ids))
	}
	ctx := context.Background()
	rows, err := w.pool.Query(ctx, `SELECT coalesce(message_id, ''), outcome, coalesce(protocol_id, 0) FROM raw_messages`)
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]int{}
	protocolOf := map[int64]int{}
	outcomes := map[string]int{}
	for rows.Next() {
		var mid, outcome string
		var pid int64
		if err := rows.Scan(&mid, &outcome, &pid); err != nil {
			t.Fatal(err)
		}
		outcomes[outcome]++
		if outcome == "created" {
			created[mid]++
			protocolOf[pid]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(outcomes) != 1 || outcomes["created"] != len(ids) {
		t.Errorf("raw messages by outcome %v, want %d created and nothing else", outcomes, len(ids))
	}
	var lost, twice []string
	for _, id := range ids {
		switch created[id] {
		case 0:
			lost = append(lost, id)
		case 1:
		default:
			twice = append(twice, fmt.Sprintf("%s ×%d", id, created[id]))
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d messages opened no protocol, e.g. %v", len(lost), lost[:min(3, len(lost))])
	}
	if len(twice) > 0 {
		t.Errorf("%d Message-IDs opened more than one protocol: %v", len(twice), twice[:min(5, len(twice))])
	}
	if len(protocolOf) != len(ids) {
		t.Errorf("created raw messages point to %d distinct protocols, want %d", len(protocolOf), len(ids))
	}
	c = exactlyOnce{messages: len(ids), protocols: protocols, lost: len(lost), twice: len(twice)}
	if w.imap == nil {
		return c
	}
	counts, err := w.mailboxCounts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[inbox] != 0 || counts[failed] != 0 {
		t.Errorf("mailboxes %v: INBOX and %s must be empty", counts, failed)
	}
	inProcessed, err := w.messageIDs(processed)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]int{}
	for _, id := range inProcessed {
		have[id]++
	}
	var absent []string
	for _, id := range ids {
		if have[id] == 0 {
			absent = append(absent, id)
		}
	}
	if len(absent) > 0 {
		t.Errorf("%d messages missing from %s, e.g. %v", len(absent), processed, absent[:min(3, len(absent))])
	}
	c.extraCopies = len(inProcessed) - len(have)
	return c
}

// exactlyOnce is what checkExactlyOnce counted.
type exactlyOnce struct {
	messages, protocols int
	lost, twice         int // Message-IDs that opened no protocol, or more than one
	extraCopies         int // extra copies in the processed folder (IMAP)
}

func (c exactlyOnce) String() string {
	return fmt.Sprintf("%d for %d messages, %d Message-IDs with more than one protocol, %d lost; processed folder extra copies: %d",
		c.protocols, c.messages, c.twice, c.lost, c.extraCopies)
}

// checkDelivered checks that every notification was sent and that each of
// its recipients received at least one copy.
func (w *world) checkDelivered() outboxState {
	w.t.Helper()
	o, err := w.outbox()
	if err != nil {
		w.t.Fatal(err)
	}
	if o.Queued+o.Failed+o.Held != 0 || o.Missing != 0 || o.Notifications == 0 {
		w.t.Errorf("outbox: %s", o)
	}
	return o
}

// expireLeases does what the end of the claim lease (mailout.DefaultLease,
// 10 min) does to the rows a killed or cut-off worker had claimed: they
// become due again. It returns how many rows were waiting for their lease.
// Only call it when no serve process is in the middle of a delivery pass
// on those rows (their worker is dead, or will not claim again before it
// finished its batch).
func (w *world) expireLeases() int {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tag, err := w.pool.Exec(ctx, `UPDATE notifications SET next_attempt_at = now() WHERE status = 'queued' AND next_attempt_at > now()`)
	if err != nil {
		w.t.Fatalf("expiring leases: %v", err)
	}
	return int(tag.RowsAffected())
}

// orphanedClaims returns how many queued rows are claimed by a claimer
// whose claim lock (core.ClaimHolder) is gone: a killed process's rows.
func (w *world) orphanedClaims() int {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	err := w.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE status = 'queued' AND claim IS NOT NULL
		AND next_attempt_at > now() AND claim_holder NOT IN (SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
			WHERE locktype = 'advisory' AND granted AND objsubid = 1)`).Scan(&n)
	if err != nil {
		w.t.Fatalf("counting orphaned claims: %v", err)
	}
	return n
}

// waitingForLease returns how many queued rows are invisible until their
// claim lease ends (claimed, next attempt in the future).
func (w *world) waitingForLease() int {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int
	err := w.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE status = 'queued' AND claim IS NOT NULL
		AND next_attempt_at > now()`).Scan(&n)
	if err != nil {
		w.t.Fatalf("counting rows waiting for their lease: %v", err)
	}
	return n
}

// times returns the values of a timestamp column (a query of one column),
// sorted.
func (w *world) times(sql string) []time.Time {
	w.t.Helper()
	rows, err := w.pool.Query(context.Background(), sql)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, at)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// commitTimes are the commit times of the stored messages (received_at is
// taken at the start of the ingest transaction).
func (w *world) commitTimes() []time.Time {
	return w.times(`SELECT received_at FROM raw_messages`)
}

// sendTimes are the times notifications were recorded as sent.
func (w *world) sendTimes() []time.Time {
	return w.times(`SELECT sent_at FROM notifications WHERE sent_at IS NOT NULL`)
}

// firstAfter returns the first time in sorted ts at or after t, and whether
// there is one before limit (zero limit: no limit).
func firstAfter(ts []time.Time, t, limit time.Time) (time.Time, bool) {
	i := sort.Search(len(ts), func(i int) bool { return !ts[i].Before(t) })
	if i == len(ts) || (!limit.IsZero() && !ts[i].Before(limit)) {
		return time.Time{}, false
	}
	return ts[i], true
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// spread returns the median and the maximum of ds.
func spread(ds []time.Duration) (median, maximum time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)-1]
}
