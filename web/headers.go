package web

import (
	"net/http"
)

// contentSecurityPolicy allows nothing but this site's stylesheet and
// images, no scripts at all, no framing, and forms that post only here.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// securityHeaders are set on every response. Keys are canonical and each
// value is a slice of length and capacity 1 shared by all responses:
// Header.Set replaces it and Header.Add copies it, so none is written to.
var securityHeaders = map[string][]string{
	"Content-Security-Policy":      {contentSecurityPolicy},
	"Referrer-Policy":              {"no-referrer"}, // the access key is in the URL
	"X-Frame-Options":              {"DENY"},
	"X-Content-Type-Options":       {"nosniff"},
	"Cross-Origin-Opener-Policy":   {"same-origin"},
	"Cross-Origin-Resource-Policy": {"same-origin"},
	"Permissions-Policy":           {"camera=(), microphone=(), geolocation=(), payment=()"},
	"Cache-Control":                {"no-store"}, // the static handler relaxes it
}

// secure sets the security headers on every response and recovers a
// panicking handler into a 500.
func (s *server) secure(next http.Handler) http.Handler {
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
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, "Erro interno.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
