package mailin

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/tramita/tramita/core"
)

// Lookup is what threading asks of core.
type Lookup interface {
	ProtocolByID(ctx context.Context, id int64) (core.ProtocolRef, error)
	ProtocolByNumber(ctx context.Context, n core.Number) (core.ProtocolRef, error)
	ProtocolByMessageIDs(ctx context.Context, ids []string, outgoingOnly bool) (core.ProtocolRef, error)
	IsParticipant(ctx context.Context, protocolID int64, email string) (bool, error)
}

// Threader finds the protocol an incoming message belongs to, by the rules
// of DESIGN.md ("Threading an incoming message"), first match wins:
//  1. a valid signed reply token in a recipient address;
//  2. In-Reply-To / References naming a Message-ID stored for a protocol;
//  3. a subject tag with valid check digits;
//
// rules 2 and 3 only from a participant of that protocol, so a stranger
// never joins someone else's case. A bounce is matched by the Message-ID of
// the bounced original, which must be one Tramita sent.
type Threader struct {
	Lookup Lookup
	Keys   *core.Keyring
	Org    core.Organization
	Log    *slog.Logger
}

// Thread returns the match for m; a zero Match means "new protocol". Errors
// are lookup failures (database), never "not found".
func (t *Threader) Thread(ctx context.Context, m *Message, class core.MessageClass) (core.Match, error) {
	sender := ""
	if m.From != nil {
		sender = m.From.Email
	}
	if class == core.ClassBounce {
		var ids []string
		if m.Report != nil && m.Report.OriginalMessageID != "" {
			ids = append(ids, m.Report.OriginalMessageID)
		}
		ids = append(ids, referenced(m)...)
		ref, err := t.Lookup.ProtocolByMessageIDs(ctx, ids, true)
		if err == nil {
			return core.Match{ProtocolID: ref.ID, Rule: "bounce"}, nil
		}
		if !errors.Is(err, core.ErrNotFound) {
			return core.Match{}, err
		}
		return core.Match{}, nil
	}

	// Rule 1: signed reply token.
	base, _, _ := strings.Cut(t.Org.Address, "@")
	for _, addr := range recipients(m) {
		tok, ok := core.TokenFromAddress(addr, base)
		if !ok {
			continue
		}
		claims, err := t.Keys.Verify(tok, sender)
		if err != nil {
			if !errors.Is(err, core.ErrTokenMalformed) { // a type alias such as protocolo+ligacao is no token
				t.log().Warn("reply token rejected", "error", err)
			}
			continue
		}
		if _, err := t.Lookup.ProtocolByID(ctx, claims.ProtocolID); err != nil {
			if errors.Is(err, core.ErrNotFound) {
				continue
			}
			return core.Match{}, err
		}
		return core.Match{ProtocolID: claims.ProtocolID, StaffID: claims.StaffID, Rule: "token", TokenIssued: claims.Issued}, nil
	}

	// Rule 2: In-Reply-To / References.
	if ids := referenced(m); len(ids) > 0 {
		ref, err := t.Lookup.ProtocolByMessageIDs(ctx, ids, false)
		switch {
		case err == nil:
			ok, err := t.Lookup.IsParticipant(ctx, ref.ID, sender)
			if err != nil {
				return core.Match{}, err
			}
			if ok {
				return core.Match{ProtocolID: ref.ID, Rule: "references"}, nil
			}
			t.log().Info("reference from a non-participant ignored", "protocol", ref.Number)
		case !errors.Is(err, core.ErrNotFound):
			return core.Match{}, err
		}
	}

	// Rule 3: subject tag from a participant.
	if n, ok := core.FindSubjectTag(m.Subject, t.Org.TagWord); ok {
		ref, err := t.Lookup.ProtocolByNumber(ctx, n)
		switch {
		case err == nil:
			ok, err := t.Lookup.IsParticipant(ctx, ref.ID, sender)
			if err != nil {
				return core.Match{}, err
			}
			if ok {
				return core.Match{ProtocolID: ref.ID, Rule: "subject"}, nil
			}
			t.log().Info("subject tag from a non-participant ignored", "protocol", ref.Number)
		case !errors.Is(err, core.ErrNotFound):
			return core.Match{}, err
		}
	}
	return core.Match{}, nil
}

func (t *Threader) log() *slog.Logger {
	if t.Log == nil {
		return slog.Default()
	}
	return t.Log
}

// referenced lists In-Reply-To then References newest first, deduplicated.
func referenced(m *Message) []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, id := range m.InReplyTo {
		add(id)
	}
	for i := len(m.References) - 1; i >= 0; i-- {
		add(m.References[i])
	}
	return out
}

// recipients lists every address the message was delivered to: To, Cc,
// Delivered-To and X-Original-To, lower-case.
func recipients(m *Message) []string {
	var out []string
	for _, a := range m.To {
		out = append(out, strings.ToLower(a.Email))
	}
	for _, a := range m.Cc {
		out = append(out, strings.ToLower(a.Email))
	}
	for _, a := range m.DeliveredTo {
		out = append(out, strings.ToLower(a))
	}
	return out
}
