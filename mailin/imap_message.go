package mailin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/tramita/tramita/core"
)

// messageTimeout bounds the database work on one message once it is in
// hand; it runs to the end even when Run's context is cancelled.
const messageTimeout = 5 * time.Minute

// moveBatch is the most committed messages kept in the mailbox before they
// are flagged and moved together.
const moveBatch = 50

// handle takes one message through intake: fetch (BODY.PEEK[], so nothing
// is marked read), ingest and commit, cursor; then it queues the message
// for \Seen and MOVE (see flush). A temporary failure returns an error and
// leaves the message untouched in the mailbox, the cursor before it; after
// PollerConfig.MaxAttempts such failures in a row (other than the database
// being unreachable) the message is quarantined and moved to the failed
// folder instead, so one message can never hold the mailbox.
func (s *session) handle(ctx context.Context, uid uint32, size int64) error {
	p := s.p
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), messageTimeout)
	defer cancel()
	src := core.Source{Kind: "imap", Mailbox: s.key, UIDValidity: s.uidValidity, UID: uid}
	limit := p.ing.Core.MaxMessageBytes()

	var res core.IngestResult
	if limit > 0 && size > p.cfg.OversizeFactor*limit {
		var err error
		res, err = s.quarantineOversized(mctx, src, size, limit)
		if err != nil && !p.blame(src, err) {
			return err
		}
		if err != nil {
			res = s.giveUp(mctx, nil, src, err)
		}
	} else {
		raw, found, err := s.fetch(uid, &imap.FetchItemBodySection{Peek: true})
		if err != nil {
			return err
		}
		if !found {
			// Expunged by someone else since the listing: nothing to do.
			p.log.Info("message vanished before it was fetched", "uid", uid)
			return nil
		}
		res, err = s.ingest(mctx, raw, src)
		if err != nil && !p.blame(src, err) {
			return fmt.Errorf("ingesting UID %d (left in the mailbox, retried later): %w", uid, err)
		}
		if err != nil {
			res = s.giveUp(mctx, raw, src, err)
		}
	}
	p.failing = failingMessage{}
	if p.cfg.AfterIngest != nil {
		if err := p.cfg.AfterIngest(src, res); err != nil {
			return errCrash{err}
		}
	}

	folder := s.processed
	if res.Outcome == core.OutcomeFailed {
		folder = s.failed
	}
	if res.Outcome == core.OutcomeFailed && res.RawMessageID != 0 {
		if err := p.store.MarkMailboxFailed(mctx, res.RawMessageID, src, folder); err != nil {
			p.log.Error("recording the mailbox of a failed message", "raw_message_id", res.RawMessageID, "error", err)
		}
	}
	// Committed: the cursor moves past it even if the MOVE fails (the
	// message is then received again at the next connection, a duplicate).
	if err := p.store.AdvanceMailboxCursor(mctx, s.key, s.uidValidity, uid); err != nil {
		p.log.Warn("advancing the mailbox cursor", "uid", uid, "error", err)
	}
	s.lastUID = max(s.lastUID, uid)
	p.log.Debug("imap message committed", "uid", uid, "outcome", res.Outcome, "protocol", res.Protocol,
		"raw_message_id", res.RawMessageID, "folder", folder)
	if s.pending == nil {
		s.pending = map[string][]imap.UID{}
	}
	s.pending[folder] = append(s.pending[folder], imap.UID(uid))
	if len(s.pending[folder]) >= moveBatch {
		return s.flush()
	}
	return nil
}

// ingest hands raw to the Ingester; a panic becomes an error, so that it
// counts against the message like any other failure (see blame).
func (s *session) ingest(ctx context.Context, raw []byte, src core.Source) (res core.IngestResult, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while ingesting: %v", r)
		}
	}()
	return s.p.ing.Ingest(ctx, raw, src)
}

// failingMessage is the message that failed last and how many times in a row.
type failingMessage struct {
	uidValidity, uid uint32
	count            int
}

// blame counts a failure of the message src and reports whether it has now
// failed MaxAttempts times in a row and must be given up on. A failure
// because the database cannot be reached at all (core.IsUnavailable) is not
// the message's fault and is not counted: every message would fail alike.
func (p *Poller) blame(src core.Source, err error) bool {
	if core.IsUnavailable(err) {
		return false
	}
	f := &p.failing
	if f.uidValidity != src.UIDValidity || f.uid != src.UID {
		*f = failingMessage{uidValidity: src.UIDValidity, uid: src.UID}
	}
	f.count++
	p.log.Warn("message failed", "uid", src.UID, "attempt", f.count, "max_attempts", p.cfg.MaxAttempts, "error", err)
	return f.count >= p.cfg.MaxAttempts
}

// giveUp records a message that failed MaxAttempts times in a row: it is
// quarantined with its raw bytes (when the database takes them) and goes to
// the failed folder, so the messages after it are read. It never fails: if
// even the quarantine is refused, the message is still kept, in the failed
// folder, and the error is logged.
func (s *session) giveUp(ctx context.Context, raw []byte, src core.Source, cause error) core.IngestResult {
	p := s.p
	n := p.failing.count
	p.failing = failingMessage{}
	cause = fmt.Errorf("%w: failed %d times in a row, last with: %v", core.ErrUnprocessable, n, cause)
	p.log.Error("giving up on a message; it goes to the failed folder", "uid", src.UID, "folder", s.failed, "error", cause)
	if raw == nil {
		return core.IngestResult{Outcome: core.OutcomeFailed}
	}
	res, err := p.ing.Core.Quarantine(ctx, core.Inbound{Raw: raw, Source: src}, cause)
	if err != nil {
		p.log.Error("quarantining a message given up on; it is kept in the failed folder only", "uid", src.UID,
			"folder", s.failed, "error", err)
		return core.IngestResult{Outcome: core.OutcomeFailed}
	}
	res.Outcome = core.OutcomeFailed
	return res
}

// flush flags the committed messages \Seen and moves them to their folder,
// a set at a time.
func (s *session) flush() error {
	for _, folder := range []string{s.processed, s.failed} {
		uids := s.pending[folder]
		if len(uids) == 0 {
			continue
		}
		delete(s.pending, folder)
		if err := s.file(imap.UIDSetNum(uids...), folder); err != nil {
			return err
		}
	}
	return nil
}

// fetch returns one section of message uid (UID FETCH, RFC 9051 §6.4.5);
// found is false when the message no longer exists.
func (s *session) fetch(uid uint32, sec *imap.FetchItemBodySection) (data []byte, found bool, err error) {
	var msgs []*imapclient.FetchMessageBuffer
	err = s.do("UID FETCH", func() (err error) {
		msgs, err = s.c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true,
			BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("fetching UID %d: %w", uid, err)
	}
	for _, m := range msgs {
		if uint32(m.UID) != uid {
			continue
		}
		b := m.FindBodySection(sec)
		if b == nil {
			return nil, false, fmt.Errorf("fetching UID %d: the server sent no body", uid)
		}
		return b, true, nil
	}
	return nil, false, nil
}

// quarantineOversized records a message too large to fetch (more than
// OversizeFactor × the limit): its header only, outcome failed, with an
// error that says so. The message itself goes to the failed folder.
func (s *session) quarantineOversized(ctx context.Context, src core.Source, size, limit int64) (core.IngestResult, error) {
	p := s.p
	header, found, err := s.fetch(src.UID, &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true})
	if err != nil {
		return core.IngestResult{}, err
	}
	if !found {
		header = []byte{}
	}
	m := Parse(header)
	in := core.Inbound{Raw: header, Source: src, MessageID: m.MessageID, Subject: m.Subject, TooLarge: true,
		HeaderOnly: true, Size: size}
	if m.From != nil {
		in.From = core.Address{Name: m.From.Name, Email: strings.ToLower(m.From.Email)}
	}
	cause := fmt.Errorf("%w: message of %d bytes is more than %d times the size limit of %d bytes: not fetched; "+
		"only its header is stored here, the message itself is in the IMAP folder %s", core.ErrUnprocessable,
		size, p.cfg.OversizeFactor, limit, s.failed)
	p.log.Error("message far over the size limit: not fetched", "uid", src.UID, "size", size, "limit", limit)
	res, err := p.ing.Core.Quarantine(ctx, in, cause)
	if err != nil {
		return res, fmt.Errorf("quarantining oversized UID %d: %w", src.UID, err)
	}
	return res, nil
}

// moveRetries are the waits before each new attempt of a STORE and MOVE
// the server refused (NO), on the same connection: a refusal is usually
// passing (the folder locked by another session, a busy index).
var moveRetries = []time.Duration{200 * time.Millisecond, time.Second, 3 * time.Second}

// file flags the messages of set \Seen and moves them to folder (UID
// STORE, UID MOVE: RFC 9051 §6.4.6 and §6.4.8, RFC 6851; the client falls
// back to COPY, STORE \Deleted and UID EXPUNGE when the server lacks MOVE).
// The two commands are pipelined. A refusal (NO) is tried again on the same
// connection after each wait of moveRetries (the folder is created first if
// the server says TRYCREATE); if the server still refuses, it is logged and
// the messages stay: they are received again, as duplicates, at the next
// connection. A broken connection is returned.
func (s *session) file(set imap.UIDSet, folder string) error {
	for attempt := 0; ; attempt++ {
		var serr, merr error
		_ = s.do("UID STORE, UID MOVE", func() error {
			store := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil)
			move := s.c.Move(set, folder)
			serr = store.Close()
			_, merr = move.Wait()
			return nil
		})
		var refusal *imap.Error
		for _, err := range []error{serr, merr} {
			if err == nil {
				continue
			}
			if !errors.As(err, &refusal) {
				return fmt.Errorf("moving UIDs %s to %s: %w", set, folder, err)
			}
		}
		if refusal == nil {
			if attempt > 0 {
				s.p.log.Info("imap messages filed after the server refused", "uids", set.String(), "folder", folder,
					"attempts", attempt+1)
			}
			s.p.log.Debug("imap messages filed", "uids", set.String(), "folder", folder)
			return nil
		}
		if attempt == len(moveRetries) {
			s.p.log.Error("could not move processed messages; they stay in the mailbox and are retried at the next connection",
				"uids", set.String(), "folder", folder, "attempts", attempt+1, "error", refusal)
			return nil
		}
		s.p.log.Warn("imap server refused to move processed messages; trying again on this connection",
			"uids", set.String(), "folder", folder, "attempt", attempt+1, "error", refusal)
		if refusal.Code == imap.ResponseCodeTryCreate {
			if err := s.ensureMailbox(folder); err != nil {
				return err
			}
		}
		time.Sleep(moveRetries[attempt])
	}
}
