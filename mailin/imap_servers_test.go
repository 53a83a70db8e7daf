package mailin_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/tramita/tramita/internal/dovecot"
	"github.com/tramita/tramita/mailin"
)

// testIMAP is an IMAP server a test drives: the in-process memory server
// or a private Dovecot. The same test bodies run against each.
type testIMAP interface {
	// URL reaches INBOX in clear text on loopback.
	URL() mailin.IMAPURL
	// Stop drops every connection at once and stops listening, as a crash
	// would (Dovecot gets SIGKILL); mail is kept.
	Stop(t *testing.T)
	// Start listens again on the same address.
	Start(t *testing.T)
	// NewUIDValidity gives the (empty) INBOX a new UIDVALIDITY, as a
	// restored or rebuilt mailbox has. No client may be connected.
	NewUIDValidity(t *testing.T)
}

// imapServerFactory names a way to start a test server.
type imapServerFactory struct {
	name  string
	start func(t *testing.T) testIMAP
}

// imapServers is the table every scenario runs on. The Dovecot variant
// fails in CI when Dovecot is missing and skips elsewhere.
func imapServers() []imapServerFactory {
	return []imapServerFactory{
		{"memserver", func(t *testing.T) testIMAP {
			return startMemIMAP(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}})
		}},
		{"dovecot", func(t *testing.T) testIMAP { return &dovecotIMAP{s: dovecot.Start(t)} }},
	}
}

// memIMAP is imapmemserver behind imapserver on 127.0.0.1. It lower-cases
// keywords and has no \Recent (unlike Dovecot).
type memIMAP struct {
	addr string
	caps imap.CapSet
	user *imapmemserver.User
	mem  *imapmemserver.Server

	mu  sync.Mutex
	srv *imapserver.Server

	// refuseMoves is how many MOVE commands the server still refuses with
	// NO (as a server whose folder is locked by another session does).
	refuseMoves atomic.Int32
	moves       atomic.Int32 // MOVE commands received
}

// refusingSession is a memory server session that refuses MOVE while its
// server's refuseMoves is above zero.
type refusingSession struct {
	imapserver.Session
	m *memIMAP
}

func (s refusingSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	s.m.moves.Add(1)
	if s.m.refuseMoves.Add(-1) >= 0 {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "mailbox is locked by another session"}
	}
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

// Namespace passes NAMESPACE through (IMAP4rev2 requires it).
func (s refusingSession) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

const memIMAPUser, memIMAPPassword = "tramita", "mem-secret"

func startMemIMAP(t *testing.T, caps imap.CapSet) *memIMAP {
	t.Helper()
	u := imapmemserver.NewUser(memIMAPUser, memIMAPPassword)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	m := &memIMAP{caps: caps, user: u, mem: imapmemserver.New(), addr: "127.0.0.1:0"}
	m.mem.AddUser(u)
	m.Start(t)
	t.Cleanup(func() { m.Stop(t) })
	return m
}

func (m *memIMAP) URL() mailin.IMAPURL {
	host, port, _ := net.SplitHostPort(m.addr)
	p, _ := strconv.Atoi(port)
	return mailin.IMAPURL{Security: mailin.IMAPPlain, Host: host, Port: p, User: memIMAPUser, Password: memIMAPPassword, Mailbox: "INBOX"}
}

func (m *memIMAP) Start(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("memserver listen: %v", err)
	}
	m.addr = ln.Addr().String()
	m.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return refusingSession{Session: m.mem.NewSession(), m: m}, nil, nil
		},
		Caps:         m.caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	go func(srv *imapserver.Server) { _ = srv.Serve(ln) }(m.srv)
}

func (m *memIMAP) Stop(t *testing.T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		_ = m.srv.Close()
		m.srv = nil
	}
}

func (m *memIMAP) NewUIDValidity(t *testing.T) {
	t.Helper()
	// Deleting and creating the mailbox gives it a new UIDVALIDITY.
	if err := m.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := m.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
}

// dovecotIMAP is a private Dovecot (internal/dovecot).
type dovecotIMAP struct{ s *dovecot.Server }

func (d *dovecotIMAP) URL() mailin.IMAPURL {
	host, port, _ := net.SplitHostPort(d.s.Addr)
	p, _ := strconv.Atoi(port)
	return mailin.IMAPURL{Security: mailin.IMAPPlain, Host: host, Port: p, User: dovecot.User, Password: dovecot.Password, Mailbox: "INBOX"}
}

func (d *dovecotIMAP) Stop(t *testing.T) { d.s.Kill() }

func (d *dovecotIMAP) Start(t *testing.T) {
	t.Helper()
	if err := d.s.Start(); err != nil {
		t.Fatal(err)
	}
}

func (d *dovecotIMAP) NewUIDValidity(t *testing.T) {
	t.Helper()
	c := dialTestIMAP(t, d)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Logout().Wait()
	c.Close()
	v := strconv.FormatUint(uint64(sel.UIDValidity)+1000, 10)
	if _, err := d.s.Doveadm("mailbox", "update", "-u", dovecot.User, "--uid-validity", v, "INBOX"); err != nil {
		t.Fatal(err)
	}
}

// dialTestIMAP logs a test client in.
func dialTestIMAP(t *testing.T, srv testIMAP) *imapclient.Client {
	t.Helper()
	u := srv.URL()
	c, err := imapclient.DialInsecure(u.Addr(), nil)
	if err != nil {
		t.Fatalf("dialing %s: %v", u.Addr(), err)
	}
	if err := c.Login(u.User, u.Password).Wait(); err != nil {
		c.Close()
		t.Fatalf("login: %v", err)
	}
	return c
}

// imapAppend appends raw to INBOX and returns its UID (APPENDUID, RFC 4315).
func imapAppend(t *testing.T, srv testIMAP, raws ...[]byte) []uint32 {
	t.Helper()
	c := dialTestIMAP(t, srv)
	defer c.Close()
	var uids []uint32
	for _, raw := range raws {
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		d, err := cmd.Wait()
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		uids = append(uids, uint32(d.UID))
	}
	_ = c.Logout().Wait()
	return uids
}

// imapFolderMail is one message of a folder as a test sees it.
type imapFolderMail struct {
	UID       uint32
	Seen      bool
	MessageID string
}

// imapFolder lists the messages of name ("/" is replaced by the server's
// delimiter); a folder that does not exist is empty.
func imapFolder(t *testing.T, srv testIMAP, name string) []imapFolderMail {
	t.Helper()
	c := dialTestIMAP(t, srv)
	defer c.Close()
	if l, err := c.List("", "", nil).Collect(); err == nil && len(l) > 0 && l[0].Delim != 0 {
		name = strings.ReplaceAll(name, "/", string(l[0].Delim))
	}
	sel, err := c.Select(name, nil).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil
		}
		t.Fatalf("select %s: %v", name, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}},
		&imap.FetchOptions{UID: true, Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", name, err)
	}
	var out []imapFolderMail
	for _, m := range msgs {
		f := imapFolderMail{UID: uint32(m.UID)}
		for _, fl := range m.Flags {
			if fl == imap.FlagSeen {
				f.Seen = true
			}
		}
		if m.Envelope != nil {
			f.MessageID = m.Envelope.MessageID
		}
		out = append(out, f)
	}
	_ = c.Logout().Wait()
	return out
}

// imapMail builds a message that opens a protocol (CRLF line endings).
func imapMail(tag string, i int) []byte {
	return []byte(fmt.Sprintf("From: Cidadão %[2]d <cidadao%[2]d@example.org>\r\n"+
		"To: protocolo@orgao.example.gov.br\r\n"+
		"Subject: Pedido %[1]s %[2]d\r\n"+
		"Message-ID: <%[1]s.%[2]d@example.org>\r\n"+
		"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\n"+
		"MIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"Solicito providências sobre o pedido %[2]d.\r\n", tag, i))
}

// imapNoFromMail cannot be processed (no From): it is quarantined.
func imapNoFromMail(tag string) []byte {
	return []byte("To: protocolo@orgao.example.gov.br\r\nSubject: sem remetente\r\nMessage-ID: <" + tag +
		".nofrom@example.org>\r\n\r\nSem From.\r\n")
}
