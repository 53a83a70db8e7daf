package staffweb

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tramita/tramita/core"
)

// healthView is the Saúde page.
type healthView struct {
	Intake      string
	LastMessage time.Time
	Failed      []core.FailedMessage
	Stats       core.Stats
}

// healthShow is GET /gestao/saude (admins): intake state, last message,
// quarantined messages, outbox due and failed.
func (s *server) healthShow(w http.ResponseWriter, r *http.Request) {
	s.healthPage(w, r, "")
}

func (s *server) healthPage(w http.ResponseWriter, r *http.Request, notice string) {
	h := &healthView{}
	if s.opts.Intake != nil {
		h.Intake = s.opts.Intake()
	}
	var err error
	if h.LastMessage, err = s.svc.LastReceived(r.Context()); err == nil {
		if h.Failed, err = s.svc.FailedMessages(r.Context()); err == nil {
			h.Stats, err = s.svc.Stats(r.Context())
		}
	}
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v := s.base(r, "Saúde do serviço")
	v.Nav, v.Health, v.Notice = "saude", h, notice
	s.render(w, http.StatusOK, "saude", v)
}

// healthRetry is POST /gestao/saude/reprocessar/{id} (admins): the same as
// `tramita failed retry ID`.
func (s *server) healthRetry(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || s.opts.Retry == nil {
		s.notFound(w, r)
		return
	}
	if err := s.opts.Retry(r.Context(), id); err != nil {
		s.log.Warn("reprocessing from the staff site failed", "raw_message_id", id, "error", err)
		s.healthPage(w, r, "A mensagem "+strconv.FormatInt(id, 10)+" ainda não pôde ser processada: "+err.Error())
		return
	}
	s.healthPage(w, r, "Mensagem "+strconv.FormatInt(id, 10)+" reprocessada.")
}
