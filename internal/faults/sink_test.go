//go:build faults

package faults

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is an in-process SMTP server (go-smtp) on loopback that records,
// for each Message-ID and envelope recipient, how many copies it accepted,
// so duplicate sends can be counted. Down closes it (connection refused);
// Up listens again on the same port.
type sink struct {
	t    *testing.T
	addr string

	mu     sync.Mutex
	srv    *smtp.Server
	copies map[string]int       // "message-id recipient" → copies accepted
	first  map[string]time.Time // when the first copy arrived
	last   time.Time            // when the last copy arrived
}

// newSink starts a sink on a free loopback port; it is closed when the test
// ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{t: t, copies: map[string]int{}, first: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Down)
	return s
}

// URL is TRAMITA_SMTP_URL for the sink (no TLS, no authentication).
func (s *sink) URL() string { return "smtp://" + s.addr + "?starttls=none" }

func (s *sink) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	srv.Domain = "sink.faults.test"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	// Connections reset by a killed sender are expected here.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Down stops listening and drops every connection: new connections are
// refused.
func (s *sink) Down() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up listens again on the same address.
func (s *sink) Up() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sink: listening again on %s: %v", s.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.serve(ln)
}

// sinkStats is what the sink received.
type sinkStats struct {
	Copies     int // messages accepted, one per recipient
	Distinct   int // distinct (Message-ID, recipient) pairs
	Duplicates int // copies beyond the first of a pair
}

// Ratio is duplicates over copies.
func (st sinkStats) Ratio() float64 {
	if st.Copies == 0 {
		return 0
	}
	return float64(st.Duplicates) / float64(st.Copies)
}

func (st sinkStats) String() string {
	return fmt.Sprintf("%d copies received, %d distinct (Message-ID, recipient) pairs, %d duplicates (%.3f %%)",
		st.Copies, st.Distinct, st.Duplicates, 100*st.Ratio())
}

func (s *sink) stats() sinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st sinkStats
	for _, n := range s.copies {
		st.Copies += n
		st.Distinct++
		st.Duplicates += n - 1
	}
	return st
}

// duplicated lists the pairs received more than once, with their counts.
func (s *sink) duplicated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k, n := range s.copies {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	return out
}

// received reports whether a copy of messageID reached rcpt, and when the
// first one did.
func (s *sink) received(messageID, rcpt string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.first[sinkKey(messageID, rcpt)]
	return at, ok
}

// lastAt is when the last copy arrived.
func (s *sink) lastAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func sinkKey(messageID, rcpt string) string {
	return strings.Trim(strings.TrimSpace(messageID), "<>") + " " + strings.ToLower(strings.TrimSpace(rcpt))
}

type sinkSession struct {
	s  *sink
	to []string
}

func (ss *sinkSession) Reset()                               { ss.to = nil }
func (ss *sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

// Data counts a copy only once the whole message arrived (a sender killed
// in the middle of DATA leaves nothing).
func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable message"}
	}
	mid := m.Header.Get("Message-Id")
	if mid == "" {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "no Message-ID"}
	}
	now := time.Now()
	ss.s.mu.Lock()
	for _, rcpt := range ss.to {
		k := sinkKey(mid, rcpt)
		if ss.s.copies[k] == 0 {
			ss.s.first[k] = now
		}
		ss.s.copies[k]++
	}
	ss.s.last = now
	ss.s.mu.Unlock()
	return nil
}
