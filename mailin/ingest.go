package mailin

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tramita/tramita/core"
)

// Core is what intake calls on core.
type Core interface {
	Lookup
	Organization(ctx context.Context) (core.Organization, error)
	Keys() *core.Keyring
	MaxMessageBytes() int64
	MaxAttachments() int
	Ingest(ctx context.Context, in core.Inbound) (core.IngestResult, error)
	Quarantine(ctx context.Context, in core.Inbound, cause error) (core.IngestResult, error)
}

// Ingester turns one raw message into a core.Inbound (parse, classify,
// thread, extract the reply) and hands it to core. The pipe entry and the
// IMAP poller both go through it.
type Ingester struct {
	Core Core
	Log  *slog.Logger
}

// Ingest processes raw. It returns an error only when the failure is
// temporary (core.IsTemporary: the database is unreachable, say) and the
// message must be handed over again, or when even the quarantine refused
// it; any other failure quarantines the message and returns OutcomeFailed
// with a nil error. A message over the
// size limit is stored and answered once (OutcomeRejected).
func (g *Ingester) Ingest(ctx context.Context, raw []byte, src core.Source) (res core.IngestResult, err error) {
	log := g.Log
	if log == nil {
		log = slog.Default()
	}
	org, err := g.Core.Organization(ctx)
	if err != nil {
		err = fmt.Errorf("loading organization: %w", err)
		if core.IsTemporary(err) {
			return res, err
		}
		log.Error("message failed", "error", err)
		return g.Core.Quarantine(ctx, core.Inbound{Raw: raw, Source: src}, err)
	}
	var in core.Inbound
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: panic while reading the message: %v", core.ErrUnprocessable, r)
			}
		}()
		in, err = g.inbound(ctx, org, raw, src)
	}()
	if err != nil && core.IsTemporary(err) {
		return res, err
	}
	if err == nil {
		res, err = g.Core.Ingest(ctx, in)
		if err == nil && len(in.Problems) > 0 {
			// Processed anyway; what could not be read is told in the log,
			// next to the stored raw message staff can open.
			log.Warn("message read with problems", "raw_message_id", res.RawMessageID, "outcome", res.Outcome,
				"problems", in.Problems)
		}
		if err == nil || core.IsTemporary(err) {
			return res, err
		}
	}
	log.Error("message failed", "error", err, "message_id", in.MessageID)
	if in.Raw == nil {
		in.Raw = raw
	}
	in.Source = src
	return g.Core.Quarantine(ctx, in, err)
}

func (g *Ingester) inbound(ctx context.Context, org core.Organization, raw []byte, src core.Source) (core.Inbound, error) {
	in := core.Inbound{Raw: raw, Source: src, Org: &org}
	tooLarge := int64(len(raw)) > g.Core.MaxMessageBytes()
	var m *Message
	if tooLarge {
		// Only the header is read; the body is kept raw for staff.
		m = Parse(headerOnly(raw))
	} else {
		m = ParseWith(raw, g.Core.MaxAttachments())
	}
	class, reason := Classify(m, org)
	in.Class, in.ClassReason = core.MessageClass(class), reason
	in.TooLarge = tooLarge
	in.MessageID = m.MessageID
	in.References = referenced(m)
	if m.Report != nil && m.Report.OriginalMessageID != "" {
		in.References = append([]string{m.Report.OriginalMessageID}, in.References...)
	}
	in.Subject = core.CleanSubject(m.Subject, org.TagWord)
	if m.From != nil {
		in.From = core.Address{Name: m.From.Name, Email: strings.ToLower(m.From.Email)}
	}
	for _, a := range m.ReplyTo {
		in.ReplyTo = append(in.ReplyTo, core.Address{Name: a.Name, Email: strings.ToLower(a.Email)})
	}
	for _, list := range [][]Address{m.To, m.Cc} {
		for _, a := range list {
			in.Cc = append(in.Cc, core.Address{Name: a.Name, Email: strings.ToLower(a.Email)})
		}
	}
	in.Recipients = recipients(m)
	in.SenderVerified, in.AuthReason = VerifySender(m, org.AuthservIDs)
	in.SenderRefuted = SenderRefuted(m, org.AuthservIDs)
	in.Problems = m.Problems
	if m.Report != nil {
		for _, r := range m.Report.Recipients {
			// RFC 3464 §2.3.1: Original-Recipient is the address as we sent
			// it; Final-Recipient may be what an alias expanded to.
			email := r.OriginalRecipient
			if email == "" {
				email = r.Recipient
			}
			in.Bounce = append(in.Bounce, core.BounceRecipient{Email: email, Action: r.Action, Status: r.Status, Diagnostic: r.Diagnostic})
		}
	}
	if !tooLarge {
		in.FullText = m.Text
		r := readReply(m)
		in.Text, in.CommandText = r.text, r.commandText
		in.HTML = m.HTML
		for _, a := range m.Attachments {
			in.Attachments = append(in.Attachments, core.InboundAttachment{Filename: a.Filename, ContentType: a.ContentType,
				ContentID: a.ContentID, Inline: a.Inline, Data: a.Data})
		}
	}
	th := Threader{Lookup: g.Core, Keys: g.Core.Keys(), Org: org, Log: g.Log}
	match, err := th.Thread(ctx, m, in.Class)
	if err != nil {
		return in, fmt.Errorf("threading: %w", err)
	}
	in.Match = match
	return in, nil
}

// headerOnly returns the header block of raw followed by an empty body.
func headerOnly(raw []byte) []byte {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 {
			return raw[:i+len(sep)]
		}
	}
	if len(raw) > 64<<10 {
		return raw[:64<<10]
	}
	return raw
}
