// Package mailout renders and delivers the notifications that core queues
// in its outbox: templates with goldmark, SMTP with go-mail, retries with
// backoff, threading headers and signed Reply-To addresses.
package mailout
