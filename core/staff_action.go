package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"
)

// StaffAction is an action of a signed-in staff member on the staff site:
// command lines in the mail grammar (DESIGN.md, "Staff commands"), a
// dispatch and files. Act runs it through the same code as a staff member's
// mail reply, so both doors produce the same steps, notifications and
// transcript.
type StaffAction struct {
	// Staff is the signed-in staff member: the session authenticates them
	// as a signed staff token authenticates a mail reply.
	Staff Staff
	// Number is the protocol acted on; nil opens a new protocol on someone's
	// behalf (balcão), which needs #requerente (and usually #tipo).
	Number *Number
	// Subject is the subject of a protocol opened at the balcão.
	Subject string
	// Commands holds the command lines (#encaminhar GCOM, #prazo 5du, …).
	Commands string
	// Dispatch is the despacho: the text after the commands.
	Dispatch string
	// Files are the anexos.
	Files []InboundAttachment
	// Key makes the action idempotent: the same key twice is recorded once
	// (a double submit). Empty: a random key.
	Key string
}

// ActionText is the text of a staff action as a mail reply would carry it:
// the command lines, a blank line, then the dispatch.
func ActionText(commands, dispatch string) string {
	commands = strings.TrimSpace(strings.ReplaceAll(commands, "\r\n", "\n"))
	dispatch = strings.TrimSpace(strings.ReplaceAll(dispatch, "\r\n", "\n"))
	switch {
	case commands == "":
		return dispatch
	case dispatch == "":
		return commands
	}
	return commands + "\n\n" + dispatch
}

// Act applies a staff-site action. The action is stored as a raw message
// (source "staffweb": an RFC 5322 message from the staff member with the
// text and files, so "ver mensagem original" works for it as for mail) and
// ingested as a reply authenticated by the session: all commands apply in
// one transaction or none does, and the staff member gets the same
// command_result transcript as by mail. It returns an error wrapping
// ErrForbidden when the staff member may not act on the protocol, and
// ErrNotFound for an unknown number.
func (s *Service) Act(ctx context.Context, a StaffAction) (IngestResult, error) {
	in := Inbound{Source: Source{Kind: "staffweb"}, Class: ClassNormal,
		From:  Address{Name: a.Staff.Name, Email: strings.ToLower(a.Staff.Email)},
		Match: Match{StaffID: a.Staff.ID, Rule: RuleSession}}
	if !a.Staff.Active || a.Staff.ID == 0 {
		// Never ingested: an unknown sender would open a protocol as a citizen.
		return IngestResult{}, fmt.Errorf("%w: servidor inativo", ErrForbidden)
	}
	org, err := s.Organization(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	in.Recipients = []string{org.Address}
	in.Subject = strings.TrimSpace(a.Subject)
	if a.Number != nil {
		id, _, err := s.staffProtocolRef(ctx, s.pool, a.Staff, *a.Number)
		if err != nil {
			return IngestResult{}, err
		}
		in.Match.ProtocolID = id
		if in.Subject == "" {
			in.Subject = "Ação na página de trâmites"
		}
	}
	text := ActionText(a.Commands, a.Dispatch)
	in.Text, in.FullText, in.CommandText = text, text, text
	in.Attachments = a.Files
	key := actionKey(a.Key)
	_, domain, _ := strings.Cut(org.Address, "@")
	in.MessageID = "staffweb." + key + "@" + domain
	in.Raw, err = actionMessage(in, org, a.Number, s.now())
	if err != nil {
		return IngestResult{}, err
	}
	return s.Ingest(ctx, in)
}

// actionKey is the Message-ID part of an action posted with key: key
// itself when it is 1 to 64 letters, digits, "-" or "_" (what the form
// sends), a hash of it otherwise (the same key still gives the same
// Message-ID, so a double submit still applies once), a random one when
// key is "". The key comes from the browser: taken as it was, a CR LF in it
// wrote headers of its author's choice (a second From) into the stored
// message that "ver mensagem original" shows as the action's source.
func actionKey(key string) string {
	if key == "" {
		return randomHex(16)
	}
	if len(key) <= 64 && strings.IndexFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// actionMessage renders a staff action as the RFC 5322 message a mail reply
// with the same content would be (text/plain quoted-printable, files in
// base64), for the raw message store.
func actionMessage(in Inbound, org Organization, n *Number, now time.Time) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	// The boundary comes from the Message-ID (the form's idempotency key), not
	// from chance: the same form posted twice is the same message, byte for
	// byte in its body, so ingest's deduplication answers the second post
	// OutcomeDuplicate instead of applying the commands again.
	sum := sha256.Sum256([]byte(in.MessageID))
	if err := mw.SetBoundary("tramita-" + hex.EncodeToString(sum[:16])); err != nil {
		return nil, fmt.Errorf("rendering action: %w", err)
	}
	var b bytes.Buffer
	subject := in.Subject
	if n != nil {
		subject = "[" + org.TagWord + " " + n.String() + "] " + subject
	}
	fmt.Fprintf(&b, "From: %s\r\n", (&mailAddress{in.From.Name, in.From.Email}).String())
	fmt.Fprintf(&b, "To: %s\r\n", org.Address)
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", in.MessageID)
	fmt.Fprintf(&b, "X-Tramita-Source: staffweb\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", mw.Boundary())
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, fmt.Errorf("rendering action: %w", err)
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write([]byte(strings.ReplaceAll(in.Text, "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("rendering action: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("rendering action: %w", err)
	}
	for _, f := range in.Attachments {
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(ct, map[string]string{"name": f.Filename})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename})},
			"Content-Transfer-Encoding": {"base64"},
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, fmt.Errorf("rendering action file: %w", err)
		}
		enc := base64.StdEncoding.EncodeToString(f.Data)
		for len(enc) > 76 {
			fmt.Fprintf(pw, "%s\r\n", enc[:76])
			enc = enc[76:]
		}
		fmt.Fprintf(pw, "%s\r\n", enc)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("rendering action: %w", err)
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// mailAddress formats a display name and address as RFC 5322 (RFC 2047
// encoding for a non-ASCII name).
type mailAddress struct{ name, email string }

func (m *mailAddress) String() string {
	if m.name == "" {
		return "<" + m.email + ">"
	}
	name := strings.NewReplacer(`"`, ``, `\`, ``, "\r", "", "\n", "").Replace(m.name)
	if enc := mime.QEncoding.Encode("utf-8", name); enc != name {
		return enc + " <" + m.email + ">"
	}
	return `"` + name + `" <` + m.email + ">"
}
