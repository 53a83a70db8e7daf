// Package mailin turns incoming e-mail into calls on core: MIME parsing
// (go-message with its charset package), reply extraction, loop and bounce
// detection, threading (signed reply token, In-Reply-To/References, subject
// tag), the pipe entry used by `tramita ingest`, and the IMAP poller (IDLE
// with polling as fallback) used by `tramita serve`.
//
// mailin depends on core; core never imports mailin.
package mailin
