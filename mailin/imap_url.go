package mailin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// IMAPSecurity is how the connection to the IMAP server is protected.
type IMAPSecurity string

// Connection security modes.
const (
	// IMAPTLS is implicit TLS (imaps://, port 993 by default; RFC 8314).
	IMAPTLS IMAPSecurity = "tls"
	// IMAPStartTLS upgrades a plain connection with STARTTLS
	// (imap://…?starttls=1, port 143 by default; RFC 9051 §6.2.1).
	IMAPStartTLS IMAPSecurity = "starttls"
	// IMAPPlain sends everything, the password included, in clear text:
	// allowed only to a loopback address or with ?insecure=1.
	IMAPPlain IMAPSecurity = "plain"
)

// ErrIMAPURL marks a malformed or unsafe TRAMITA_IMAP_URL.
var ErrIMAPURL = errors.New("invalid IMAP URL")

// IMAPURL is a parsed TRAMITA_IMAP_URL:
//
//	imaps://user:pass@host:993/INBOX      implicit TLS
//	imap://user:pass@host/INBOX?starttls=1 STARTTLS
//	imap://user:pass@127.0.0.1:143/INBOX  clear text: loopback only,
//	imap://user:pass@host/INBOX?insecure=1 or explicitly insecure
//
// The path names the mailbox to read (default INBOX), percent-decoded; the
// user and password are percent-decoded too.
type IMAPURL struct {
	Security IMAPSecurity
	Host     string // host name or address, without port
	Port     int
	User     string
	Password string
	Mailbox  string
}

// ParseIMAPURL parses raw (see IMAPURL). passwordFile, when not empty, is a
// file (TRAMITA_IMAP_PASSWORD_FILE) whose content, without the trailing
// newline, is the password; it overrides a password in the URL. Errors wrap
// ErrIMAPURL and never contain the password.
func ParseIMAPURL(raw, passwordFile string) (IMAPURL, error) {
	var u IMAPURL
	pu, err := url.Parse(raw)
	if err != nil {
		return u, fmt.Errorf("%w: cannot be parsed", ErrIMAPURL)
	}
	q := pu.Query()
	for k := range q {
		if k != "starttls" && k != "insecure" {
			return u, fmt.Errorf("%w: unknown parameter %q (starttls=1, insecure=1)", ErrIMAPURL, k)
		}
	}
	switch pu.Scheme {
	case "imaps":
		u.Security, u.Port = IMAPTLS, 993
		if q.Has("starttls") {
			return u, fmt.Errorf("%w: starttls=1 goes with imap://, not imaps://", ErrIMAPURL)
		}
	case "imap":
		u.Security, u.Port = IMAPPlain, 143
		if flag(q.Get("starttls")) {
			u.Security = IMAPStartTLS
		}
	default:
		return u, fmt.Errorf("%w: scheme must be imaps:// or imap://", ErrIMAPURL)
	}
	u.Host = pu.Hostname()
	if u.Host == "" {
		return u, fmt.Errorf("%w: no host", ErrIMAPURL)
	}
	if p := pu.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return u, fmt.Errorf("%w: bad port %q", ErrIMAPURL, p)
		}
		u.Port = n
	}
	if pu.User != nil {
		u.User = pu.User.Username()
		u.Password, _ = pu.User.Password()
	}
	if passwordFile != "" {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return u, fmt.Errorf("%w: reading the password file: %v", ErrIMAPURL, err)
		}
		u.Password = strings.TrimRight(string(b), "\r\n")
	}
	if u.User == "" {
		return u, fmt.Errorf("%w: no user (imaps://user:password@host/INBOX)", ErrIMAPURL)
	}
	u.Mailbox = strings.TrimPrefix(pu.Path, "/")
	if u.Mailbox == "" {
		u.Mailbox = "INBOX"
	}
	if u.Security == IMAPPlain && !flag(q.Get("insecure")) && !isLoopback(u.Host) {
		return u, fmt.Errorf("%w: clear-text imap:// to %s would expose the password: use imaps://, ?starttls=1, or ?insecure=1 if you must",
			ErrIMAPURL, u.Host)
	}
	return u, nil
}

// Addr is host:port for dialing.
func (u IMAPURL) Addr() string { return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) }

// Key names the mailbox without the password: imap://user@host:port/NAME.
// It keys the cursor and the advisory lock, so every process polling the
// same mailbox derives the same one.
func (u IMAPURL) Key() string {
	v := url.URL{Scheme: "imap", User: url.User(u.User), Host: strings.ToLower(u.Addr()), Path: "/" + u.Mailbox}
	return v.String()
}

// String is the URL without its password, for messages.
func (u IMAPURL) String() string {
	scheme := "imap"
	if u.Security == IMAPTLS {
		scheme = "imaps"
	}
	v := url.URL{Scheme: scheme, User: url.User(u.User), Host: u.Addr(), Path: "/" + u.Mailbox}
	if u.Security == IMAPStartTLS {
		v.RawQuery = "starttls=1"
	}
	return v.String()
}

func flag(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
