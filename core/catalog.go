package core

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ServiceEntry is one service of the carta de serviços (Lei 13.460/2017,
// art. 7): a protocol type as the public sees it. No staff data.
type ServiceEntry struct {
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	UnitName      string   `json:"unit"`           // the unit that handles it
	Addresses     []string `json:"addresses"`      // e-mail addresses that open it directly
	Deadline      string   `json:"deadline"`       // the type's own deadline (org.yaml deadline), e.g. 10du; "" for none
	LegalDeadline string   `json:"legal_deadline"` // e.g. 30dc; "" for none
	Extension     string   `json:"extension"`      // e.g. 30dc; "" for none
	LegalBasis    string   `json:"legal_basis"`
	Results       []string `json:"results"`
}

// ServiceCatalog returns the active protocol types in the order of the
// organization file, for the carta de serviços.
func (s *Service) ServiceCatalog(ctx context.Context) ([]ServiceEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.code, t.name, t.description, u.name, t.addresses, coalesce(t.deadline, ''), coalesce(t.legal_deadline, ''),
			coalesce(t.extension, ''), t.legal_basis, t.results
		FROM protocol_types t JOIN units u ON u.id = t.unit_id WHERE t.active ORDER BY t.position, t.id`)
	if err != nil {
		return nil, fmt.Errorf("loading the service catalog: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ServiceEntry, error) {
		var e ServiceEntry
		return e, r.Scan(&e.Code, &e.Name, &e.Description, &e.UnitName, &e.Addresses, &e.Deadline, &e.LegalDeadline, &e.Extension,
			&e.LegalBasis, &e.Results)
	})
}

// durationWords are the pt-BR singular and plural of each deadline unit.
var durationWords = map[DurationUnit][2]string{
	UnitDays: {"dia", "dias"}, UnitLegalDays: {"dia corrido", "dias corridos"},
	UnitBusinessDays: {"dia útil", "dias úteis"}, UnitHours: {"hora", "horas"},
}

// DescribeDuration writes a deadline spec as people read it, in pt-BR:
// "30dc" → "30 dias corridos", "5du" → "5 dias úteis". An unreadable spec
// is returned as it is.
func DescribeDuration(spec string) string {
	d, err := ParseDuration(spec)
	if err != nil {
		return spec
	}
	unit := durationWords[d.Unit]
	if d.N == 1 {
		return "1 " + unit[0]
	}
	return fmt.Sprintf("%d %s", d.N, unit[1])
}
