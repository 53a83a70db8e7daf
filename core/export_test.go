package core

import (
	"context"
	"time"
)

// StatisticsFromProtocols is Statistics read from the protocols alone,
// without the summary of migration 018 (the statistics as they were before
// it): tests compare the two.
func (s *Service) StatisticsFromProtocols(ctx context.Context, from, to time.Time) (Statistics, error) {
	return s.statistics(ctx, from, to, false)
}

// StatisticsUnfolded is Statistics without folding the pending changes
// first: the summary, the changes not folded yet and the edges' protocols.
func (s *Service) StatisticsUnfolded(ctx context.Context, from, to time.Time) (Statistics, error) {
	return s.statistics(ctx, from, to, true)
}

// SetSearchGatherMax sets how many word matches Search looks up one by one
// and returns a function that restores it; tests that use it must not run
// in parallel.
func SetSearchGatherMax(n int) (restore func()) {
	old := searchGatherMax
	searchGatherMax = n
	return func() { searchGatherMax = old }
}
