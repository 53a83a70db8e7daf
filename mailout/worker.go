package mailout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
	gomail "github.com/wneessen/go-mail"
)

// Store is what the worker needs from core; *core.Service implements it.
type Store interface {
	Organization(ctx context.Context) (core.Organization, error)
	Keys() *core.Keyring
	HoldClaims(ctx context.Context) (*core.ClaimHolder, error)
	ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration, claim core.Claim) ([]core.Delivery, error)
	RecordAttempt(ctx context.Context, id int64, a core.Attempt) (string, error)
	ReleaseClaim(ctx context.Context, now time.Time, claim core.Claim) (int64, error)
	StepFiles(ctx context.Context, stepID int64, maxBytes int64) ([]core.StepFile, error)
}

// DefaultMaxAttachBytes is how many bytes of a step's files a notice
// carries as attachments (20 MiB, under common relay limits); files past it
// are listed by name only.
const DefaultMaxAttachBytes = 20 << 20

// Defaults of Config.
const (
	DefaultInterval    = 5 * time.Second  // poll period between kicks
	DefaultBatchSize   = 20               // rows claimed at once
	DefaultLease       = 10 * time.Minute // last resort: claimed rows of a claimer alive but stuck come back after this
	DefaultRetryBase   = 30 * time.Second // first retry after a temporary failure
	DefaultRetryMax    = time.Hour        // longest wait between attempts
	DefaultGiveUpAfter = 72 * time.Hour   // age of a notification at which temporary failures become final
	DefaultPublicURL   = "http://127.0.0.1:8080"
)

// Config configures a Worker. Zero values mean the documented defaults.
type Config struct {
	Store    Store      // required: *core.Service
	Renderer *Renderer  // required: NewRenderer(templates.Mail(), TRAMITA_LANG)
	SMTP     SMTPConfig // the submission server (TRAMITA_SMTP_URL); Host is required
	// From is the From and envelope sender address (TRAMITA_FROM, "Name
	// <addr>" or addr); default: the organization's service address and name.
	From      string
	PublicURL string        // base of lookup links (TRAMITA_PUBLIC_URL); default DefaultPublicURL
	Interval  time.Duration // time between passes when nobody calls Kick
	BatchSize int           // notifications claimed at once
	// Lease is how long claimed rows stay invisible to other workers while
	// their claimer's lock (core.ClaimHolder) is held; the rows of a
	// claimer that died are taken over at once, so the lease only matters
	// for a claimer alive but stuck, or one that could not take its lock.
	// It must exceed the time a batch takes (a slow server: lower
	// BatchSize), or another worker may send the same mail again (same
	// Message-ID).
	Lease time.Duration
	// RetryBase × 2^(attempts−1), capped at RetryMax, ±20 % jitter, is the
	// wait after a temporary failure (4xx, network error, timeout).
	RetryBase   time.Duration
	RetryMax    time.Duration
	GiveUpAfter time.Duration // age at which temporary failures become final (delivery status 4.4.7)
	// MaxAttachBytes caps the files attached to one notice, in bytes;
	// default DefaultMaxAttachBytes.
	MaxAttachBytes int64
	Now            func() time.Time // clock; default time.Now
	Rand           func() float64   // jitter source in [0, 1); default math/rand/v2
	Logger         *slog.Logger     // default slog.Default(); addresses only at debug level (LGPD)
	// Health, when set, is told when the SMTP server cannot be reached or
	// refuses the login, and when it works again (door health.SMTP).
	Health health.Reporter
}

// Worker delivers the outbox: it claims due notifications, renders them,
// sends one copy per recipient over SMTP and records each outcome. Several
// workers, in one process or many, can share a database.
type Worker struct {
	cfg      Config
	mc       *gomail.Client
	auth     *tokenAuth // OAuth mechanism of mc, or nil
	from     string
	fromName string
	kick     chan struct{}
	log      *slog.Logger

	// owed is what the database could not be told while it was failing,
	// settled at the start of the next pass (see settle).
	mu   sync.Mutex
	owed debt

	// holder ties this worker's claims to its life (core.ClaimHolder):
	// taken at the first pass, kept while Run runs, released when it
	// returns (RunOnce alone takes and releases one per call). nil while
	// the database could not be reached: claims are then covered by their
	// lease only.
	holderMu sync.Mutex
	holder   *core.ClaimHolder
	running  bool
}

// debt is the bookkeeping a worker still owes the database.
type debt struct {
	// records are attempts made (mail sent) whose outcome was not
	// recorded; recorded first, so the rows are not sent again.
	records []owedRecord
	// claims are claim tokens whose rows may still be held: the claim's
	// commit went unanswered, or rows were not tried; given back after the
	// records.
	claims []owedClaim
}

type owedRecord struct {
	id    int64
	a     core.Attempt
	err   error // why it could not be recorded
	since time.Time
}

type owedClaim struct {
	claim core.Claim
	since time.Time
}

// NewWorker checks cfg and returns a Worker. It does not connect yet.
func NewWorker(cfg Config) (*Worker, error) {
	if cfg.Store == nil || cfg.Renderer == nil {
		return nil, errors.New("mailout: Store and Renderer are required")
	}
	if cfg.SMTP.Host == "" {
		return nil, errors.New("mailout: no SMTP server (TRAMITA_SMTP_URL)")
	}
	w := &Worker{cfg: cfg, kick: make(chan struct{}, 1), log: cfg.Logger}
	c := &w.cfg
	setDefault(&c.Interval, DefaultInterval)
	setDefault(&c.Lease, DefaultLease)
	setDefault(&c.RetryBase, DefaultRetryBase)
	setDefault(&c.RetryMax, DefaultRetryMax)
	setDefault(&c.GiveUpAfter, DefaultGiveUpAfter)
	if c.MaxAttachBytes <= 0 {
		c.MaxAttachBytes = DefaultMaxAttachBytes
	}
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.PublicURL == "" {
		c.PublicURL = DefaultPublicURL
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if c.From != "" {
		a, err := mail.ParseAddress(c.From)
		if err != nil {
			return nil, fmt.Errorf("mailout: From address (TRAMITA_FROM) %q: %w", c.From, err)
		}
		w.from, w.fromName = a.Address, a.Name
	}
	var err error
	if w.mc, w.auth, err = c.SMTP.client(); err != nil {
		return nil, err
	}
	return w, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Kick wakes Run to deliver now, for instance after a commit that queued
// mail. It never blocks; kicks while one is pending are merged.
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled: a pass at start, then one on every
// Kick and every Interval. It returns nil once ctx is cancelled, after
// finishing the notification in hand; rows claimed but not tried are given
// back at once. Errors of a pass (database or SMTP server down) are logged
// and the next pass tries again; a panic in a pass is logged, not fatal.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("outbound mail started", "smtp", w.cfg.SMTP.String(), "interval", w.cfg.Interval.String())
	w.holderMu.Lock()
	w.running = true
	w.holderMu.Unlock()
	defer func() {
		w.dropHolder(context.WithoutCancel(ctx))
		w.holderMu.Lock()
		w.running = false
		w.holderMu.Unlock()
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			w.log.Info("outbound mail stopped")
			return nil
		case <-w.kick:
		case <-timer.C:
		}
		if ctx.Err() != nil {
			continue
		}
		w.pass(ctx)
		timer.Reset(w.cfg.Interval)
	}
}

func (w *Worker) pass(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("outbound mail pass panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	sent, err := w.RunOnce(ctx)
	if err != nil {
		w.log.Error("outbound mail pass failed", "error", err, "sent", sent)
	}
}

// RunOnce delivers every notification due now and returns how many
// messages the server accepted (one per recipient). Temporary failures are
// rescheduled with backoff, permanent ones recorded (core.Service.
// RecordAttempt); neither is an error. The error reports what stopped the
// pass: the database, or the SMTP server being unreachable (wrapping
// ErrSMTPUnavailable; the pass's mail then waits for its next attempt).
// When ctx is cancelled it returns after the notification in hand.
//
// When the database fails in the middle of a pass, the worker remembers
// what it could not record (mail sent, rows claimed but not tried, a claim
// whose commit went unanswered) and settles it first in the next pass, so
// those rows go out within a pass of the database's return rather than
// after their lease, and mail already sent is not sent again.
func (w *Worker) RunOnce(ctx context.Context) (sent int, err error) {
	if err := w.settle(ctx); err != nil {
		return 0, err
	}
	holder := w.liveHolder(ctx)
	w.holderMu.Lock()
	oneShot := !w.running
	w.holderMu.Unlock()
	if oneShot {
		defer w.dropHolder(context.WithoutCancel(ctx))
	}
	org, err := w.cfg.Store.Organization(ctx)
	if err != nil {
		return 0, fmt.Errorf("loading organization: %w", err)
	}
	sess := &session{cfg: w.cfg.SMTP, health: w.cfg.Health, auth: w.auth, mc: w.mc}
	defer sess.drop()
	seen := map[int64]bool{}
	for ctx.Err() == nil {
		claim := core.NewClaim(holder)
		batch, err := w.cfg.Store.ClaimDue(ctx, w.cfg.Now(), w.cfg.BatchSize, w.cfg.Lease, claim)
		if err != nil {
			// The claim may have committed without the answer reaching us.
			w.owe(nil, claim)
			return sent, err
		}
		if len(batch) == 0 {
			return sent, nil // nothing more is due
		}
		for _, d := range batch {
			if ctx.Err() != nil || seen[d.ID] {
				w.release(ctx, claim) // the rows of the batch not tried
				return sent, nil
			}
			seen[d.ID] = true
			sent += w.deliver(ctx, sess, org, d)
			if r := sess.unrecorded; r != nil {
				// The database is failing: stop sending what could not be
				// recorded either; the rest of the batch is given back.
				w.owe(r, claim)
				return sent, fmt.Errorf("recording a delivery: %w", r.err)
			}
		}
		if sess.down != nil {
			return sent, sess.down
		}
	}
	return sent, nil
}

// owe remembers an unrecorded attempt (when r is not nil) and a claim
// whose rows may still be held, for settle.
func (w *Worker) owe(r *owedRecord, claim core.Claim) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.cfg.Now()
	if r != nil {
		r.since = now
		w.owed.records = append(w.owed.records, *r)
	}
	w.owed.claims = append(w.owed.claims, owedClaim{claim: claim, since: now})
}

// settle tells the database what it could not be told while failing:
// first the attempts made (so sent mail is not sent again), then it gives
// back the rows still held by unsettled claims. It stops at the first
// error and keeps the rest for the next pass. Debts older than the lease
// are dropped with a warning: their rows have come back by themselves.
func (w *Worker) settle(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.cfg.Now()
	for len(w.owed.records) > 0 {
		r := w.owed.records[0]
		if now.Sub(r.since) > w.cfg.Lease {
			w.log.Warn("dropping a delivery outcome not recorded within the lease; the notification may be sent again",
				"notification_id", r.id, "delivered", len(r.a.Delivered))
		} else {
			_, err := w.cfg.Store.RecordAttempt(ctx, r.id, r.a)
			switch {
			case errors.Is(err, core.ErrNotQueued):
				w.log.Warn("notification was finished by another worker meanwhile", "notification_id", r.id)
			case err != nil:
				return fmt.Errorf("recording a delivery made while the database was failing: %w", err)
			default:
				w.log.Info("delivery recorded late (the database was failing)", "notification_id", r.id,
					"delivered", len(r.a.Delivered))
			}
		}
		w.owed.records = w.owed.records[1:]
	}
	for len(w.owed.claims) > 0 {
		c := w.owed.claims[0]
		if now.Sub(c.since) <= w.cfg.Lease {
			n, err := w.cfg.Store.ReleaseClaim(ctx, now, c.claim)
			if err != nil {
				return fmt.Errorf("giving back outbox rows claimed while the database was failing: %w", err)
			}
			if n > 0 {
				w.log.Info("outbox rows given back after a database failure", "count", n)
			}
		}
		w.owed.claims = w.owed.claims[1:]
	}
	return nil
}

// release gives back the rows of claim not tried (shutdown): the tried
// ones were recorded, which took them out of the claim. When the database
// does not answer, the claim is kept for settle.
func (w *Worker) release(ctx context.Context, claim core.Claim) {
	if _, err := w.cfg.Store.ReleaseClaim(context.WithoutCancel(ctx), w.cfg.Now(), claim); err != nil {
		w.log.Warn("could not release outbox rows; given back at the next pass, or when their lease ends", "error", err)
		w.owe(nil, claim)
	}
}

// liveHolder returns the worker's claim holder, taking it when there is
// none and taking its lock again when its session was lost (a database
// restart). When the database cannot be reached it returns nil: the pass's
// claims, if any, are covered by their lease only, and the next pass tries
// again.
func (w *Worker) liveHolder(ctx context.Context) *core.ClaimHolder {
	w.holderMu.Lock()
	defer w.holderMu.Unlock()
	if w.holder != nil {
		if err := w.holder.Check(ctx); err != nil {
			w.log.Warn("outbox claim lock lost; claims rely on their lease until it is taken again", "error", err)
			return nil
		}
		return w.holder
	}
	h, err := w.cfg.Store.HoldClaims(ctx)
	if err != nil {
		w.log.Warn("could not take the outbox claim lock; claims rely on their lease", "error", err)
		return nil
	}
	w.holder = h
	return h
}

// dropHolder releases the claim holder, if any; rows still claimed under
// it become free for any process at once.
func (w *Worker) dropHolder(ctx context.Context) {
	w.holderMu.Lock()
	defer w.holderMu.Unlock()
	if w.holder == nil {
		return
	}
	if err := w.holder.Release(ctx); err != nil {
		w.log.Warn("releasing the outbox claim lock", "error", err)
	}
	w.holder = nil
}

// deliver sends one copy of d to each pending recipient and records the
// outcome. It returns the number of copies accepted.
func (w *Worker) deliver(ctx context.Context, sess *session, org core.Organization, d core.Delivery) int {
	ctx = context.WithoutCancel(ctx) // the notification in hand is finished even on shutdown
	log := w.log.With("notification_id", d.ID, "kind", string(d.Kind), "attempt", d.Attempts)
	if d.Protocol != nil {
		log = log.With("protocol", d.Protocol.Number)
	}
	var a core.Attempt
	var temporary []string
	var lastErr string
	pending := core.PendingRecipients(d)
	view := NewView(d, org, w.cfg.Renderer.Lang(), w.cfg.PublicURL)
	// The requesters (To) of a status update or reply get the link with the
	// access key; Cc'd participants get the copy without it. Each variant
	// is rendered only when a pending recipient needs it.
	keyed := d.Protocol != nil && d.Kind.Info().AccessKey == core.KeyRequesters
	withKey := func(rcpt string) bool { return keyed && slices.Contains(d.To, rcpt) }
	needPlain, needKey := false, false
	for _, rcpt := range pending {
		if withKey(rcpt) {
			needKey = true
		} else {
			needPlain = true
		}
	}
	var r, rKey Rendered
	var err error
	if needPlain {
		r, err = w.cfg.Renderer.Render(d.Kind, view)
	}
	if err == nil && needKey {
		rKey, err = w.cfg.Renderer.Render(d.Kind, view.WithAccessKey(d.Protocol.AccessKey))
	}
	var files []core.StepFile
	if err == nil && d.Kind.Info().CarriesFiles && d.StepID != 0 {
		files, err = sess.stepFiles(ctx, w.cfg.Store, d.StepID, w.cfg.MaxAttachBytes)
	}
	if err != nil {
		// A template bug or the files unreadable: retried, never dropped.
		log.Error("cannot render notification", "error", err)
		temporary, lastErr = pending, err.Error()
	}
	for _, rcpt := range pending {
		if err != nil {
			break
		}
		env := Envelope{Org: org, From: w.from, FromName: w.fromName, Recipient: rcpt, Keys: w.cfg.Store.Keys(), Date: w.cfg.Now()}
		rr := r
		if withKey(rcpt) {
			rr = rKey
		}
		m, merr := Message(d, rr, env)
		for _, f := range files {
			if merr == nil {
				merr = m.AttachReader(f.Filename, bytes.NewReader(f.Data), gomail.WithFileContentType(gomail.ContentType(f.ContentType)))
			}
		}
		if merr != nil {
			log.Warn("cannot build message: invalid address")
			log.Debug("cannot build message", "recipient", rcpt, "error", merr)
			a.Failures = append(a.Failures, core.RecipientFailure{Email: rcpt, Status: "5.1.3", Diagnostic: merr.Error(), Permanent: true})
			continue
		}
		serr := sess.send(ctx, m)
		if serr == nil {
			a.Delivered = append(a.Delivered, rcpt)
			log.Debug("message delivered", "recipient", rcpt)
			continue
		}
		f := classify(serr)
		log.Debug("delivery failed", "recipient", rcpt, "error", f.text)
		if f.permanent {
			log.Warn("recipient refused", "status", f.status)
			a.Failures = append(a.Failures, core.RecipientFailure{Email: rcpt, Status: f.status, Diagnostic: f.text, Permanent: true})
			continue
		}
		temporary, lastErr = append(temporary, rcpt), f.text
	}
	now := w.cfg.Now()
	a.At = now
	if len(temporary) > 0 {
		if age := now.Sub(d.CreatedAt); age >= w.cfg.GiveUpAfter {
			for _, rcpt := range temporary {
				a.Failures = append(a.Failures, core.RecipientFailure{Email: rcpt, Status: "4.4.7",
					Diagnostic: fmt.Sprintf("gave up after %s: %s", w.cfg.GiveUpAfter, lastErr)})
			}
		} else {
			a.RetryAt = w.retryAt(now, d.Attempts)
		}
	}
	for _, f := range a.Failures {
		lastErr = strings.TrimSpace(f.Status + " " + f.Diagnostic)
	}
	a.Error = lastErr
	status, err := w.cfg.Store.RecordAttempt(ctx, d.ID, a)
	switch {
	case errors.Is(err, core.ErrNotQueued):
		log.Warn("notification was finished by another worker meanwhile")
	case err != nil:
		// Sent but not recorded: RunOnce keeps the outcome and records it
		// when the database answers again. Should this process end first,
		// the row comes back after its lease and may be sent again
		// (delivery is at-least-once, same Message-ID).
		log.Error("cannot record delivery", "error", err, "delivered", len(a.Delivered))
		sess.unrecorded = &owedRecord{id: d.ID, a: a, err: err}
	case status == core.DeliveryQueued:
		log.Info("delivery postponed", "delivered", len(a.Delivered), "retry_at", a.RetryAt.UTC().Format(time.RFC3339))
	case status == core.DeliveryFailed:
		log.Warn("notification failed", "failures", len(a.Failures))
	default:
		log.Info("notification sent", "delivered", len(a.Delivered), "failures", len(a.Failures))
	}
	return len(a.Delivered)
}

// retryAt is when to try again after attempts failed attempts:
// RetryBase × 2^(attempts−1), at most RetryMax, then ±20 % jitter so
// retries of a burst spread out.
func (w *Worker) retryAt(now time.Time, attempts int) time.Time {
	wait := w.cfg.RetryMax
	if attempts < 1 {
		attempts = 1
	}
	if shift := attempts - 1; shift < 32 {
		if b := w.cfg.RetryBase << shift; b > 0 && b < wait {
			wait = b
		}
	}
	jitter := 0.8 + 0.4*w.cfg.Rand()
	return now.Add(time.Duration(float64(wait) * jitter))
}
