package webkit

import (
	"log/slog"
	"net/http"
)

// ContentSecurityPolicy allows nothing but the site's own stylesheet and
// images, no scripts at all, no framing, and forms that post only to the
// site itself.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// securityHeaders are set on every response. Keys are canonical and each
// value is a slice of length and capacity 1 shared by all responses:
// Header.Set replaces it and Header.Add copies it, so none is written to.
var securityHeaders = map[string][]string{
	"Content-Security-Policy":      {ContentSecurityPolicy},
	"Referrer-Policy":              {"no-referrer"}, // access keys and tokens travel in URLs
	"X-Frame-Options":              {"DENY"},
	"X-Content-Type-Options":       {"nosniff"},
	"Cross-Origin-Opener-Policy":   {"same-origin"},
	"Cross-Origin-Resource-Policy": {"same-origin"},
	"Permissions-Policy":           {"camera=(), microphone=(), geolocation=(), payment=()"},
	"Cache-Control":                {"no-store"}, // static handlers relax it
}

// SecurityHeaders returns the headers Secure sets, as a fresh map (for
// tests and for documentation).
func SecurityHeaders() http.Header {
	h := http.Header{}
	for k, v := range securityHeaders {
		h[k] = append([]string(nil), v...)
	}
	return h
}

// Secure sets the security headers (strict CSP, no framing, no referrer,
// no-store) on every response of next and recovers a panicking handler into
// a logged 500. http.ErrAbortHandler is passed on, as net/http expects.
func Secure(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range securityHeaders {
			h[k] = v
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, "Erro interno.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
