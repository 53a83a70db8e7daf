package web

import (
	"context"
	"net/http"
	"time"
)

// healthShow is GET /healthz: 200 "ok" when the database answers, 503
// otherwise (for load balancers and monitoring).
func (s *server) healthShow(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.svc.Ping(ctx); err != nil {
		s.log.Warn("health check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("indisponível\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
