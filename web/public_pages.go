package web

import (
	"context"
	"time"

	"github.com/tramita/tramita/core"
)

// PublicPages is what the painel (/painel), the carta de serviços
// (/servicos) and the satisfaction survey (/avaliar/TOKEN) need from core;
// *core.Service has it. A Lookup without it serves none of those pages
// (404).
type PublicPages interface {
	Statistics(ctx context.Context, from, to time.Time) (core.Statistics, error)
	ServiceCatalog(ctx context.Context) ([]core.ServiceEntry, error)
	Survey(ctx context.Context, token string) (core.SurveyView, error)
	AnswerSurvey(ctx context.Context, token string, rating int, comment string) (core.SurveyView, error)
}

// publicPages returns the service's PublicPages, or nil.
func (s *server) publicPages() PublicPages {
	p, _ := s.svc.(PublicPages)
	return p
}
