// Package webkit is the HTTP plumbing the public site (web) and the staff
// site (staffweb) share, so neither re-implements it:
//
//   - Secure: security headers on every response (strict CSP without any
//     script, no framing, no referrer, no-store) and panic recovery.
//     ContentSecurityPolicy is the policy; add "; sandbox" for downloads.
//   - CrossOrigin: net/http.CrossOriginProtection around state-changing
//     routes, with a deny handler (render a 403 page). Clients that send no
//     Origin nor Sec-Fetch-Site (kiosks, partner systems, curl) pass.
//   - Proxies (TRAMITA_TRUSTED_PROXIES): ClientAddr / ClientKey of a request
//     behind trusted proxies; LimitKey buckets IPv6 by /64.
//   - RateLimit, ParseRateLimit ("30/min:10", "off"), Limiter (token bucket
//     per key: client address, e-mail address…), TooMany (429 +
//     Retry-After + a pt-BR ErrorView), RetryAfterSeconds, WaitText.
//   - LoadStylesheet / Stylesheet (content-hashed URL, cached a year) and
//     LoadPages / Pages (html/template from an embed.FS: every page parsed
//     with the layout at start-up; Render buffers, so a template error is a
//     clean 500). Templates call {{stylesheet}} for the CSS URL.
//   - ErrorView (what error pages show), FailureStatus (503 + Retry-After for
//     temporary database failures, else 500), WriteJSON / WriteJSONError.
//   - FormTokens: signed hidden form token (TRAMITA_SECRET key ring, via
//     core.Keyring.Seal) with its issue time; Check refuses < 3 s and > 2 h
//     and its ID is the idempotency key of the submission. core.Keyring
//     Seal/Open also sign any other URL token (confirmation, survey,
//     sign-in links): give each its own purpose string.
//   - ReadForm (urlencoded or multipart, size-limited), Field (trimmed
//     value), Uploads (files of a field, each size-limited, type sniffed by
//     SniffType, never trusted from the browser), FieldErrors (one pt-BR
//     message per field, in order, for 422 re-rendering).
//
// A site's wiring, in short:
//
//	css, _ := webkit.LoadStylesheet(templates.Web(), templates.WebStylesheet, "/static/")
//	pages, _ := webkit.LoadPages(webkit.PagesConfig{FS: myTemplates, Pages: []string{"home", "error"},
//		Stylesheet: css, Logger: log})
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /static/{name}", func(w http.ResponseWriter, r *http.Request) { css.ServeHTTP(w, r) })
//	guarded, _ := webkit.CrossOrigin(mux, denyHandler) // every POST of the mux
//	handler := webkit.Secure(log, guarded)
//
// and in a handler:
//
//	if err := webkit.ReadForm(w, r, maxBytes); err != nil { … 413 or 400 … }
//	defer webkit.RemoveForm(r)
//	var errs webkit.FieldErrors
//	if webkit.Field(r, "nome") == "" { errs.Add("nome", "Informe o nome.") }
//	if errs.Len() > 0 { pages.Render(w, http.StatusUnprocessableEntity, "form", data) }
//
// Templates show {{.Errs.Get "nome"}} next to the field (aria-describedby,
// aria-invalid) and {{range .Errs.List}} as a summary linking to #{{.Field}}.
// Browser tests (Chromium + axe-core, screenshots) are in
// internal/browsertest.
package webkit
