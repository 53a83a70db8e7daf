// Package staffweb is the staff site, "Página de trâmites" (DESIGN.md,
// "Staff site"): sign-in (one-time link, password + TOTP, OpenID Connect),
// the queues (Caixa, Vencendo / Vencidos, Sobrestados, Aguardando
// requerente), Busca, the protocol page whose action form runs the same
// staff commands as a mail reply (core.Service.Act), Novo protocolo
// (balcão) and Saúde (admins).
//
// It is one more door to core: every list, search, page, download and
// action goes through core's one permission predicate (core.ScopeOf /
// core.CanAct). It is mounted under /gestao on the main listener, or alone
// on TRAMITA_STAFF_LISTEN; the public site (package web) never routes here.
// The HTTP plumbing (security headers, cross-origin protection, pages,
// forms, client addresses) is internal/webkit's, shared with web.
package staffweb
