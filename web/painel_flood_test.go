package web_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// slowStats is the real service whose statistics reading is counted and
// held until released, as a reading over a million protocols takes a while.
type slowStats struct {
	*core.Service
	calls, running, most atomic.Int64
	release              chan struct{}
}

func (s *slowStats) Statistics(ctx context.Context, from, to time.Time) (core.Statistics, error) {
	s.calls.Add(1)
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	<-s.release
	return s.Service.Statistics(ctx, from, to)
}

// TestPainelCrowdReadsOnce: the painel is public and its figures take
// about a second to read over a million protocols. Thirty requests for the
// same period while it is being read make one reading (before: thirty),
// and requests for many distinct periods read at most two at once (before:
// all of them), so a crowd cannot take every database connection.
func TestPainelCrowdReadsOnce(t *testing.T) {
	t.Parallel()
	svc := &slowStats{Service: newService(t), release: make(chan struct{})}
	h := newHandler(t, svc, web.Options{})
	crowd := func(paths []string) {
		var wg sync.WaitGroup
		for _, p := range paths {
			wg.Go(func() {
				if res := get(t, h, p); res.Status != http.StatusOK {
					t.Errorf("GET %s: %d", p, res.Status)
				}
			})
		}
		time.Sleep(500 * time.Millisecond) // every request is in
		close(svc.release)
		wg.Wait()
	}
	var same []string
	for range 30 {
		same = append(same, "/painel?de=2026-01-01&ate=2026-06-30")
	}
	crowd(same)
	if n := svc.calls.Load(); n != 1 {
		t.Errorf("30 requests for one period read the figures %d times, want 1", n)
	}
	svc.release = make(chan struct{})
	var distinct []string
	for i := range 12 {
		distinct = append(distinct, fmt.Sprintf("/painel.json?de=2025-01-%02d&ate=2026-06-30", i+1))
	}
	crowd(distinct)
	if n := svc.most.Load(); n > 2 {
		t.Errorf("%d readings at once for distinct periods, want at most 2", n)
	}
}
