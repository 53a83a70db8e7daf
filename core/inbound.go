package core

import "time"

// MessageClass says whether an incoming message may be answered (RFC 3834).
type MessageClass string

// Message classes. Everything but ClassNormal is recorded and never answered.
const (
	ClassNormal    MessageClass = "normal"
	ClassAutoReply MessageClass = "auto_reply" // out-of-office, vacation, read receipts, ARF reports
	ClassBounce    MessageClass = "bounce"     // delivery status notifications (RFC 3464)
	ClassLoop      MessageClass = "loop"       // Tramita's own mail came back
	ClassBulk      MessageClass = "bulk"       // mailing lists, Precedence: bulk
)

// SourceWeb is the Source.Kind of what the public web form sends: an
// opening confirmed by its link, or a message from the keyed lookup page.
const SourceWeb = "web"

// Source says where a message came from, for the record and for IMAP dedupe.
type Source struct {
	Kind        string // "pipe", "imap" or "web" (SourceWeb)
	Mailbox     string // IMAP mailbox name; "" for pipe
	UIDValidity uint32
	UID         uint32
}

// InboundAttachment is one file of an incoming message.
type InboundAttachment struct {
	Filename    string
	ContentType string // media type without parameters
	ContentID   string // without angle brackets
	Inline      bool
	Data        []byte
}

// BounceRecipient is one failed (or delayed) recipient named by a DSN.
type BounceRecipient struct {
	Email      string
	Action     string // failed, delayed, …
	Status     string // RFC 3463 status code, e.g. 5.1.1
	Diagnostic string
}

// Match is the result of threading: the protocol a message belongs to.
type Match struct {
	ProtocolID int64  // 0: no existing protocol
	StaffID    int64  // staff member authenticated by a signed staff token; 0 otherwise
	Rule       string // "token", "references", "subject", "bounce", RuleSession, or "" for no match
	// TokenIssued is the day the matched token was issued (zero for a
	// token without a date): a staff token older than
	// Config.StaffTokenLifetime authenticates nobody.
	TokenIssued time.Time
}

// RuleSession is the Match.Rule of an action on the staff site: the staff
// member StaffID is authenticated by their signed-in session, as a signed
// staff token authenticates a mail reply.
const RuleSession = "session"

// Inbound is an incoming message as mailin understood it: parsed,
// classified and threaded. Core stores it and decides what it causes.
type Inbound struct {
	Raw    []byte // every byte received
	Source Source
	// Org is the organization the caller read the message against (intake
	// classifies with it); Ingest then uses it instead of reading it
	// again. nil: Ingest reads it in its transaction.
	Org *Organization `json:"-"`

	MessageID  string    // without angle brackets; "" when absent
	References []string  // In-Reply-To and References, without angle brackets
	Subject    string    // cleaned: no reply prefixes, no protocol tag
	From       Address   // sender (From header)
	ReplyTo    []Address // where answers to the sender go, when given
	Cc         []Address // other recipients (To and Cc, not ours, not the sender): Cc participants of an opening
	Recipients []string  // every recipient address (To, Cc, Delivered-To, X-Original-To), for routing by type address

	Text string // new text: reply extracted, quoted history and signature removed
	// CommandText is the sender's own top text, above any reply marker,
	// quote header or forward header, and "" when the text came from an
	// attached message: the only text staff commands are read from.
	CommandText string
	FullText    string // the whole decoded text body
	HTML        string // sanitized HTML; "attachment:N" references name Attachments[N]

	Attachments []InboundAttachment

	Class       MessageClass
	ClassReason string
	Bounce      []BounceRecipient // for ClassBounce: recipients the report names

	Match Match
	// SenderVerified is true when an Authentication-Results header from a
	// trusted authserv-id says the From address passed DMARC (or aligned
	// DKIM); with a registered staff From, it authenticates commands.
	SenderVerified bool
	// AuthReason explains SenderVerified for the log and the rejection notice.
	AuthReason string
	// SenderRefuted is true when the Authentication-Results header of a
	// trusted authserv-id says the From domain failed DMARC: the receiving
	// infrastructure saw the From forged. A signed staff reply address
	// does not outweigh it (mailin.SenderRefuted).
	SenderRefuted bool

	// Web carries what the public form adds to an opening (Source.Kind
	// SourceWeb): the chosen type and the requester's details; nil for mail.
	Web *WebOpening

	TooLarge bool     // over the size limit: stored, answered once, not processed
	Problems []string // what the parser could not read; logged by mailin with the raw message's id

	// HeaderOnly: Raw holds only the message's header (a message far over
	// the size limit, not fetched whole); Size is then the whole message's
	// size in bytes. Only Quarantine takes such an Inbound.
	HeaderOnly bool
	Size       int64
}

// Outcome is what ingesting a message did (DESIGN.md, `ingest --json`).
type Outcome string

// Outcomes.
const (
	OutcomeCreated   Outcome = "created"
	OutcomeAppended  Outcome = "appended"
	OutcomeCommands  Outcome = "commands"
	OutcomeRecorded  Outcome = "recorded"
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeRejected  Outcome = "rejected"
	OutcomeFailed    Outcome = "failed"
)

// NotificationSummary names one notification queued by an ingest.
type NotificationSummary struct {
	Kind NotificationKind `json:"kind"`
	To   []string         `json:"to"`
}

// IngestResult is the JSON document printed by `tramita ingest --json`.
type IngestResult struct {
	Outcome       Outcome               `json:"outcome"`
	Protocol      string                `json:"protocol"` // formatted number, or ""
	Step          int                   `json:"step"`     // step number on the protocol, or 0
	Reason        string                `json:"reason"`
	Notifications []NotificationSummary `json:"notifications"`
	RawMessageID  int64                 `json:"raw_message_id"`
	// Transcript is what a staff member's commands did, line by line (the
	// command_result's content); nil when the message carried no commands
	// from authenticated staff.
	Transcript *Transcript `json:"-"`
}

// Transcript is the outcome of one staff message's commands.
type Transcript struct {
	Lines     []TranscriptLine
	Applied   bool   // all lines applied; false: none was
	Number    string // a protocol opened on someone's behalf: its number
	AccessKey string // and its access key
	// NoteStep is the step (its n on the protocol) of the private note
	// that keeps the text and files of a refused message; 0 when none was
	// written (applied, or nothing but commands).
	NoteStep int
}
