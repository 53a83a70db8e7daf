package mailin

import (
	"time"

	"github.com/emersion/go-message/textproto"
)

// Address is one mailbox from an address header, with the display name
// decoded (RFC 2047) and the whole address lower-cased.
type Address struct {
	Name  string // display name, decoded; "" when absent
	Email string // addr-spec, e.g. "maria@example.org"
}

// Message is a parsed incoming e-mail. Parse fills it; it never fails on bad
// input, it records what it could not understand in Problems instead.
type Message struct {
	Raw    []byte           // every byte received, unchanged
	Header textproto.Header // the top-level header, undecoded

	MessageID  string    // Message-ID without angle brackets; "" when absent
	InReplyTo  []string  // In-Reply-To Message-IDs, without angle brackets
	References []string  // References Message-IDs, without angle brackets, oldest first
	Subject    string    // decoded Subject (RFC 2047, lenient), whitespace trimmed
	Date       time.Time // Date header; zero when absent or unparsable

	From        *Address  // first From mailbox; nil when absent or unparsable
	Sender      *Address  // Sender mailbox; nil when absent
	ReplyTo     []Address // Reply-To mailboxes
	To          []Address // To mailboxes
	Cc          []Address // Cc mailboxes
	DeliveredTo []string  // Delivered-To and X-Original-To addresses, lower-cased
	ReturnPath  *string   // Return-Path addr-spec; nil when the header is absent, "" for the null path "<>"

	Text         string // best plain-text body, decoded to UTF-8 (text/plain preferred)
	HTML         string // sanitized HTML body (bluemonday UGC policy), "" when none; cid: images resolved to attachment references
	TextFromHTML bool   // Text was derived from HTML because no text/plain part exists
	// TextFromForwarded: Text is an attached message's (message/rfc822),
	// because the message itself has no text; it is not the sender's own.
	TextFromForwarded bool

	Attachments []Attachment    // every non-body leaf part, inline images included
	Report      *DeliveryReport // set for multipart/report (RFC 6522) messages

	Problems []string // non-fatal parse problems, for the log and for staff
}

// Attachment is one file carried by a message.
type Attachment struct {
	Filename    string // decoded name (RFC 2231, RFC 2047, raw 8-bit); a generated name when the part had none
	ContentType string // media type, lower-case, without parameters, e.g. "application/pdf"
	ContentID   string // Content-ID without angle brackets; "" when absent
	Inline      bool   // shown in place (Content-Disposition inline, or referenced by cid: from the HTML)
	Data        []byte // decoded content (transfer encoding removed)
}

// DeliveryReport is what a multipart/report message (RFC 6522) says:
// a delivery status notification (RFC 3464) or another report type.
type DeliveryReport struct {
	ReportType string            // report-type parameter, lower-case: "delivery-status", "feedback-report", "disposition-notification"
	Recipients []ReportRecipient // per-recipient fields of a delivery-status report

	// OriginalMessageID is the Message-ID of the message the report is about,
	// taken from the text/rfc822-headers or message/rfc822 part (without angle
	// brackets); "" when the report does not quote it.
	OriginalMessageID string
}

// ReportRecipient is one per-recipient block of a delivery-status report
// (RFC 3464 §2.3).
type ReportRecipient struct {
	Recipient string // Final-Recipient (or Original-Recipient) addr-spec, lower-cased
	// OriginalRecipient is the Original-Recipient addr-spec, lower-cased: the
	// address as the sender wrote it, before forwarding or alias expansion;
	// "" when the block does not give it.
	OriginalRecipient string
	Action            string // "failed", "delayed", "delivered", "relayed", "expanded"
	Status            string // e.g. "5.1.1"
	Diagnostic        string // Diagnostic-Code text, may be ""
}
