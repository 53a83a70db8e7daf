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
// leaves the message untouched in the mailbox, the cursor before it.
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
		if err != nil {
			return err
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
		res, err = p.ing.Ingest(mctx, raw, src)
		if err != nil {
			return fmt.Errorf("ingesting UID %d (left in the mailbox, retried later): %w", uid, err)
		}
	}
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
	in := core.Inbound{Raw: header, Source: src, MessageID: m.MessageID, Subject: m.Subject, TooLarge: true}
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

// file flags the messages of set \Seen and moves them to folder (UID
// STORE, UID MOVE: RFC 9051 §6.4.6 and §6.4.8, RFC 6851; the client falls
// back to COPY, STORE \Deleted and UID EXPUNGE when the server lacks MOVE).
// The two commands are pipelined. A refusal (NO) is logged and the messages
// stay: they are received again, as duplicates, at the next connection. A
// broken connection is returned.
func (s *session) file(set imap.UIDSet, folder string) error {
	var serr, merr error
	_ = s.do("UID STORE, UID MOVE", func() error {
		store := s.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil)
		move := s.c.Move(set, folder)
		serr = store.Close()
		_, merr = move.Wait()
		return nil
	})
	for _, err := range []error{serr, merr} {
		if err == nil {
			continue
		}
		var ie *imap.Error
		if errors.As(err, &ie) {
			s.p.log.Error("could not move processed messages; they stay in the mailbox and are retried at the next connection",
				"uids", set.String(), "folder", folder, "error", err)
			return nil
		}
		return fmt.Errorf("moving UIDs %s to %s: %w", set, folder, err)
	}
	s.p.log.Debug("imap messages filed", "uids", set.String(), "folder", folder)
	return nil
}
