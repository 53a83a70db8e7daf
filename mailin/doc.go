// Package mailin turns incoming e-mail into calls on core: MIME parsing
// (go-message with its charset package), reply extraction, loop and bounce
// detection, threading (signed reply token, In-Reply-To/References, subject
// tag), the pipe entry used by `tramita ingest`, and the IMAP poller (IDLE
// with polling as fallback) used by `tramita serve`.
//
// Reply extraction: SplitReply (and ExtractReply, its Text) finds where the
// sender's words end in mail written by any client in any language (quote
// attributions, "Original message" separators, quoted header blocks, phone
// signatures, mailing-list footers; see SplitReply for the rules). Its Top
// field is the sender's own top text, above the first cut: the only text
// in which commands may be looked for, so nothing quoted, forwarded or
// attached can act as a command. Text is what a step stores; the whole
// decoded body is stored beside it (core.Inbound.FullText) so staff can
// read what was cut.
//
// mailin depends on core; core never imports mailin.
package mailin
