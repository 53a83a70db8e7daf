package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tramita/tramita/internal/webkit"
)

// DefaultRateLimit is 30 lookups a minute per client address, in bursts of 10.
var DefaultRateLimit = webkit.RateLimit{Events: 30, Per: time.Minute, Burst: 10}

// limited applies the per-client rate limit before h: past it, a 429 with
// Retry-After (a page, or JSON under /api/).
func (s *server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := s.proxies.ClientKey(r)
		ok, wait := s.limit.Allow(key, s.now())
		if ok {
			h(w, r)
			return
		}
		status, ev := webkit.TooMany(w, wait, "Muitas consultas seguidas",
			"Para proteger os dados dos requerentes, limitamos o número de consultas feitas a partir de um mesmo endereço.")
		s.log.Info("lookup rate limited", "client", key, "path_kind", pathKind(r), "retry_after_s", webkit.RetryAfterSeconds(wait))
		if isAPI(r) {
			webkit.WriteJSONError(w, status, "limite_excedido",
				"Muitas consultas seguidas deste endereço; tente novamente em "+strconv.Itoa(webkit.RetryAfterSeconds(wait))+" s.")
			return
		}
		s.render(w, status, "error", &page{Title: ev.Title, OrgName: s.org.Peek(), Error: ev})
	}
}
