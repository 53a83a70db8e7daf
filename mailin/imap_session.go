package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/health"
)

// shutdownGrace is how long a session may take to end once Run's context
// is cancelled before its connection is closed under it.
const shutdownGrace = 30 * time.Second

// quickTimeout bounds the answer to commands a live server answers at once.
const quickTimeout = time.Minute

// session is one IMAP connection of a Poller, from login to logout.
type session struct {
	p    *Poller
	c    *imapclient.Client
	lock *core.MailboxLock
	key  string // cursor and lock key

	wake chan struct{} // the server announced new mail (EXISTS)
	idle bool          // IDLE is used

	processed, failed string // folder names with the server's delimiter
	uidValidity       uint32
	lastUID           uint32 // every UID up to this one is committed (in memory)

	pending map[string][]imap.UID // committed, not yet flagged and moved, by folder
}

// session connects, processes what is waiting, then waits for mail until
// ctx is cancelled or something fails. It always closes the connection.
func (p *Poller) session(ctx context.Context, lock *core.MailboxLock) (err error) {
	p.setState(StateConnecting)
	s := &session{p: p, lock: lock, key: p.cfg.URL.Key(), wake: make(chan struct{}, 1)}
	c, err := p.dial(ctx, s.wake)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", p.cfg.URL.Addr(), err)
	}
	s.c = c
	defer s.watch(ctx)()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("imap session panicked: %v", r)
		}
		var crash errCrash
		s.close(!errors.As(err, &crash))
	}()
	if err := s.open(ctx); err != nil {
		return err
	}
	if err := s.scan(ctx, 1); err != nil {
		return err
	}
	p.attempt = 0 // connected and caught up: the next failure starts the backoff over
	if p.cfg.Health != nil {
		p.cfg.Health.Working(health.IMAP)
	}
	for ctx.Err() == nil {
		if err := s.wait(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.lock.Check(cctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%w: %v", errLockLost, err)
		}
		if err := s.scan(ctx, s.lastUID+1); err != nil {
			return err
		}
	}
	return nil
}

// dial opens the connection the URL asks for. EXISTS responses, which the
// client delivers on its reader goroutine, only nudge wake: no command is
// ever issued from the handler.
func (p *Poller) dial(ctx context.Context, wake chan struct{}) (*imapclient.Client, error) {
	u := p.cfg.URL
	opts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var tlsConfig *tls.Config
	if u.Security != IMAPPlain {
		tlsConfig = &tls.Config{}
		if p.cfg.TLSConfig != nil {
			tlsConfig = p.cfg.TLSConfig.Clone()
		}
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = u.Host
		}
		opts.TLSConfig = tlsConfig
	}
	dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	// TCP keepalives notice a peer that vanished (NAT timeout, crash) within
	// about a minute, even while idling.
	nd := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second,
		Interval: 10 * time.Second, Count: 3}}
	var c *imapclient.Client
	switch u.Security {
	case IMAPTLS:
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"}
		}
		conn, err := (&tls.Dialer{NetDialer: nd, Config: tlsConfig}).DialContext(dctx, "tcp", u.Addr())
		if err != nil {
			return nil, err
		}
		c = imapclient.New(conn, opts)
	case IMAPStartTLS:
		conn, err := nd.DialContext(dctx, "tcp", u.Addr())
		if err != nil {
			return nil, err
		}
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	default:
		conn, err := nd.DialContext(dctx, "tcp", u.Addr())
		if err != nil {
			return nil, err
		}
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return c, nil
}

// open logs in, makes sure the destination folders exist, selects the
// mailbox and settles the cursor against its UIDVALIDITY.
func (s *session) open(ctx context.Context) error {
	p, u := s.p, s.p.cfg.URL
	if err := s.do(p.cfg.loginCommand(), func() error { return p.cfg.login(context.WithoutCancel(ctx), s.c) }); err != nil {
		return fmt.Errorf("logging in: %w", err)
	}
	caps := s.c.Caps()
	s.idle = !p.cfg.DisableIdle && (caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2))
	// RFC 9051 §6.3.9: LIST "" "" returns the hierarchy delimiter.
	delim := '/'
	var l []*imap.ListData
	err := s.do("LIST", func() (err error) { l, err = s.c.List("", "", nil).Collect(); return err })
	if err == nil && len(l) > 0 && l[0].Delim != 0 {
		delim = l[0].Delim
	}
	s.processed = strings.ReplaceAll(p.cfg.ProcessedMailbox, "/", string(delim))
	s.failed = strings.ReplaceAll(p.cfg.FailedMailbox, "/", string(delim))
	for _, name := range []string{s.processed, s.failed} {
		if err := s.ensureMailbox(name); err != nil {
			return err
		}
	}
	var sel *imap.SelectData
	err = s.do("SELECT", func() (err error) { sel, err = s.c.Select(u.Mailbox, nil).Wait(); return err })
	if err != nil {
		return fmt.Errorf("selecting %s: %w", u.Mailbox, err)
	}
	if sel.UIDValidity == 0 {
		return fmt.Errorf("selecting %s: the server sent no UIDVALIDITY", u.Mailbox)
	}
	s.uidValidity = sel.UIDValidity
	cur, err := p.store.MailboxCursor(ctx, s.key)
	if err != nil {
		return err
	}
	if cur.UIDValidity != sel.UIDValidity {
		if cur.UIDValidity != 0 {
			// RFC 9051 §2.3.1.1: the old UIDs mean nothing now. Every message
			// is received again; ingest's dedupe makes the known ones
			// duplicates, which are moved like the rest.
			p.log.Warn("mailbox UIDVALIDITY changed: reading it again from the start (known messages become duplicates)",
				"old_uid_validity", cur.UIDValidity, "uid_validity", sel.UIDValidity, "last_uid", cur.LastUID)
		}
		if err := p.store.ResetMailboxCursor(ctx, s.key, sel.UIDValidity); err != nil {
			return err
		}
		cur.LastUID = 0
	}
	s.lastUID = cur.LastUID
	if s.idle {
		p.setState(StateIdle)
	} else {
		p.setState(StatePolling)
	}
	p.log.Info("imap connected", "idle", s.idle, "uid_validity", s.uidValidity, "last_uid", s.lastUID,
		"messages", sel.NumMessages, "processed_folder", s.processed, "failed_folder", s.failed)
	p.log.Debug("imap login", "user", u.User)
	return nil
}

// ensureMailbox creates name when it does not exist, and subscribes to it
// so staff see it in their mail clients.
func (s *session) ensureMailbox(name string) error {
	var l []*imap.ListData
	err := s.do("LIST", func() (err error) { l, err = s.c.List("", name, nil).Collect(); return err })
	if err != nil {
		return fmt.Errorf("looking for folder %s: %w", name, err)
	}
	for _, d := range l {
		if d.Mailbox == name {
			return nil
		}
	}
	if err := s.do("CREATE", func() error { return s.c.Create(name, nil).Wait() }); err != nil {
		var ie *imap.Error
		if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeAlreadyExists {
			return fmt.Errorf("creating folder %s: %w", name, err)
		}
	}
	_ = s.do("SUBSCRIBE", func() error { return s.c.Subscribe(name).Wait() })
	s.p.log.Info("imap folder created", "folder", name)
	return nil
}

// wait returns when the server announced mail, PollInterval passed, or ctx
// ended. In IDLE mode it leaves IDLE (DONE) before returning.
func (s *session) wait(ctx context.Context) error {
	select {
	case <-s.wake: // announced while we were busy
		return nil
	default:
	}
	timer := time.NewTimer(s.p.cfg.PollInterval)
	defer timer.Stop()
	if !s.idle {
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-s.c.Closed():
			return errors.New("connection closed by the server")
		}
		return nil
	}
	var cmd *imapclient.IdleCommand
	err := s.doWithin(quickTimeout, "IDLE", func() (err error) { cmd, err = s.c.Idle(); return err })
	if err != nil {
		return fmt.Errorf("starting IDLE: %w", err)
	}
	closed := false
	select {
	case <-ctx.Done():
	case <-s.wake:
	case <-timer.C:
	case <-s.c.Closed():
		closed = true
	}
	err = s.doWithin(quickTimeout, "DONE", func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return fmt.Errorf("leaving IDLE: %w", err)
	}
	if closed {
		return errors.New("connection closed by the server")
	}
	return nil
}

// scan processes, in UID order, every message whose UID is at least from,
// then flags and moves the committed ones. It stops at the first temporary
// failure, leaving that message and the ones after it for the next
// attempt, and after the message in hand when ctx is cancelled. A crash
// (AfterIngest) leaves the committed messages where they are.
func (s *session) scan(ctx context.Context, from uint32) (err error) {
	defer func() {
		var crash errCrash
		if errors.As(err, &crash) {
			return
		}
		if ferr := s.flush(); err == nil {
			err = ferr
		}
	}()
	if from == 0 {
		return nil // UID space exhausted (2^32 - 1)
	}
	set := imap.UIDSet{imap.UIDRange{Start: imap.UID(from), Stop: 0}} // from:*
	var msgs []*imapclient.FetchMessageBuffer
	err = s.do("UID FETCH", func() (err error) {
		msgs, err = s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		return err
	})
	if err != nil {
		return fmt.Errorf("listing messages: %w", err)
	}
	// "from:*" also matches the highest UID when it is below from
	// (RFC 9051 §6.4.8), so filter.
	list := msgs[:0]
	for _, m := range msgs {
		if uint32(m.UID) >= from {
			list = append(list, m)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].UID < list[j].UID })
	for _, m := range list {
		if ctx.Err() != nil {
			return nil
		}
		if err := s.handle(ctx, uint32(m.UID), m.RFC822Size); err != nil {
			return err
		}
	}
	return nil
}

// do runs one command and waits for its answer, but at most
// CommandTimeout: a server that stops answering on an open connection gets
// its connection closed, which fails the command.
func (s *session) do(what string, f func() error) error {
	return s.doWithin(s.p.cfg.CommandTimeout, what, f)
}

// doWithin is do with a timeout of its own (at most CommandTimeout), for
// commands the server answers at once (IDLE, DONE).
func (s *session) doWithin(timeout time.Duration, what string, f func() error) error {
	timeout = min(timeout, s.p.cfg.CommandTimeout)
	t := time.AfterFunc(timeout, func() {
		s.p.log.Warn("imap server did not answer in time; closing the connection", "command", what,
			"timeout", timeout.String())
		_ = s.c.Close()
	})
	defer t.Stop()
	return f()
}

// watch closes the connection when ctx ends and the session has not
// returned within shutdownGrace: the message in hand may finish, but a
// server that does not answer must not hold Run.
func (s *session) watch(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(shutdownGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			s.p.log.Warn("imap session did not end in time after shutdown; closing the connection")
			_ = s.c.Close()
		}
	}()
	return func() { close(done) }
}

// close logs out (politely: Run is ending or reconnecting) or just drops
// the connection (crash simulation).
func (s *session) close(polite bool) {
	if polite {
		done := make(chan struct{})
		go func() { _ = s.c.Logout().Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
	_ = s.c.Close()
}
