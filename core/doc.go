// Package core is Tramita's domain: protocol numbers (NUP), identity
// documents (CPF/CNPJ), the signed reply token, protocols, steps
// (trâmites), participants, the outbox of notifications and the permission
// rules. All SQL lives here, through pgx.
//
// core is transport-free: it imports no IMAP, SMTP, HTTP or template code,
// and none of mailin, mailout or web (a test enforces this).
package core
