// Package mailout renders and delivers the notifications that core queues
// in its outbox, and runs the reminder schedules.
//
// Rendering (Renderer, View): one text/template per notification kind and
// language (templates.Mail: a subject line, "---", a Markdown body), the
// HTML part made by goldmark with raw HTML off, the text part from the same
// source; text written by citizens and staff is escaped before it reaches
// Markdown. The body of mail about a protocol starts with ReplyMarker, above
// which replies are cut; mail about no protocol has none.
//
// Delivery (Worker): claims due rows from core (FOR UPDATE SKIP LOCKED, with
// a lease), sends one copy per recipient with go-mail over one SMTP
// connection per pass, each with its own signed Reply-To token, threaded
// with Message-ID / In-Reply-To / References (RFC 5322 §3.6.4) and marked
// Auto-Submitted (RFC 3834). Temporary failures (4xx, network, timeouts)
// are retried with exponential backoff and jitter until a give-up age;
// permanent ones (5xx to RCPT or DATA) are recorded on the protocol and the
// holding unit is told, by core, in one transaction. Nothing is logged and
// dropped: every outcome ends in the notifications table.
//
// Schedules (NewScheduler): the reminder pass and the overdue digest on
// robfig/cron schedules.
package mailout
