package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// countedService is the real service, counting the lookups that reach
// the database.
type countedService struct {
	*core.Service
	lookups atomic.Int64
}

func (c *countedService) PublicLookup(ctx context.Context, n core.Number, key, doc string) (core.PublicView, error) {
	c.lookups.Add(1)
	return c.Service.PublicLookup(ctx, n, key, doc)
}

// settableClock is a clock the test moves.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settableClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// cachedServer is the fixture behind a server with the page cache on, and
// a server without it to compare pages with.
type cachedServer struct {
	f      *fixture
	svc    *countedService
	h      http.Handler
	plain  http.Handler
	clock  *settableClock
	target string
}

func newCachedServer(t *testing.T) *cachedServer {
	t.Helper()
	f := newFixture(t)
	c := &cachedServer{f: f, svc: &countedService{Service: f.svc}, clock: &settableClock{t: testNow},
		target: "/p/" + f.number.Digits()}
	c.h = newHandler(t, c.svc, web.Options{Now: c.clock.Now, PageCache: web.PageCache{Entries: 100, Context: t.Context()}})
	c.plain = newHandler(t, f.svc, web.Options{Now: c.clock.Now})
	c.waitServedFromCache(t, c.target, "the cache to start listening")
	return c
}

// waitServedFromCache asks for target until an answer comes without a
// lookup in the database.
func (c *cachedServer) waitServedFromCache(t *testing.T, target, what string) response {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		before := c.svc.lookups.Load()
		res := get(t, c.h, target)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", target, res.Status)
		}
		if c.svc.lookups.Load() == before {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: every GET %s still reads the database", what, target)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitPage asks for target until the page contains want.
func (c *cachedServer) waitPage(t *testing.T, target, want, what string) response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := get(t, c.h, target)
		if strings.Contains(res.Body, want) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: page still lacks %q after 10 s", what, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPageCacheServesWhatTheDatabaseWould: cached pages are byte for byte
// the pages of a server without the cache, for the number alone, the key
// in any case, and a wrong key; a CPF/CNPJ always reads the database.
func TestPageCacheServesWhatTheDatabaseWould(t *testing.T) {
	t.Parallel()
	c := newCachedServer(t)
	keyed := c.target + "?k=" + url.QueryEscape(c.f.key)
	c.waitServedFromCache(t, keyed, "the keyed page to be cached")
	before := c.svc.lookups.Load()
	for _, target := range []string{c.target, keyed, c.target + "?k=" + strings.ToLower(c.f.key),
		c.target + "?k=" + url.QueryEscape(" "+c.f.key+" "), c.target + "?k=" + typo(c.f.key), c.target + "?k=WRONGWRONG"} {
		got, want := get(t, c.h, target), get(t, c.plain, target)
		if got.Status != want.Status || got.Body != want.Body {
			t.Errorf("GET %s: the cached answer differs from the database's (status %d, want %d)", target, got.Status, want.Status)
		}
	}
	if n := c.svc.lookups.Load() - before; n != 0 {
		t.Errorf("%d lookups reached the database for pages already cached", n)
	}
	if full := get(t, c.h, keyed); !strings.Contains(full.Body, "Equipe <strong>enviada</strong>") {
		t.Errorf("keyed page lacks the dispatch")
	}
	if basic := get(t, c.h, c.target+"?k=WRONGWRONG"); strings.Contains(basic.Body, "Equipe") {
		t.Errorf("a wrong key got the dispatch from the cache")
	}
	before = c.svc.lookups.Load()
	res := postForm(t, c.h, c.target, url.Values{"documento": {c.f.cpf}})
	if !strings.Contains(res.Body, "Equipe <strong>enviada</strong>") || c.svc.lookups.Load() != before+1 {
		t.Errorf("CPF lookup: status %d, %d database lookups (want 1)", res.Status, c.svc.lookups.Load()-before)
	}
}

// TestPageCacheDropsChangedPages: a new public dispatch, a change of the
// holding unit's name and a deadline passing each show at once, with no
// wait for the TTL.
func TestPageCacheDropsChangedPages(t *testing.T) {
	t.Parallel()
	c := newCachedServer(t)
	keyed := c.target + "?k=" + url.QueryEscape(c.f.key)
	c.waitServedFromCache(t, keyed, "the keyed page to be cached")

	reply := inbound(7, core.Address{Name: "Bruno Lima", Email: "bruno.lima@saneamento.example.gov.br"}, "protocolo@saneamento.example.gov.br",
		"Re: Vazamento", "Conserto concluído nesta manhã.")
	reply.Match = core.Match{ProtocolID: c.f.id, Rule: "subject"}
	// A staff dispatch must be authenticated (issue 17): the fixture's reply
	// passes DMARC as a trusted MX would have said.
	reply.SenderVerified, reply.AuthReason = true, "dmarc=pass header.from=saneamento.example.gov.br"
	if res, err := c.f.svc.Ingest(context.Background(), reply); err != nil || res.Outcome != core.OutcomeAppended {
		t.Fatalf("staff reply: %+v %v", res, err)
	}
	c.waitPage(t, keyed, "Conserto concluído nesta manhã.", "new dispatch on the keyed page")
	if got, want := c.waitServedFromCache(t, c.target, "the page after the dispatch"), get(t, c.plain, c.target); got.Body != want.Body {
		t.Errorf("number-alone page after the dispatch differs from the database's")
	}

	if _, err := c.f.svc.Pool().Exec(context.Background(), `UPDATE units SET name = 'Gerência de Redes' WHERE code = 'GOPE'`); err != nil {
		t.Fatal(err)
	}
	c.waitPage(t, c.target, "Gerência de Redes", "unit renamed")

	deadline := testNow.Add(48 * time.Hour)
	if _, err := c.f.svc.Pool().Exec(context.Background(), `UPDATE protocols SET deadline = $2 WHERE id = $1`, c.f.id, deadline); err != nil {
		t.Fatal(err)
	}
	c.waitPage(t, c.target, "12/03/2026", "deadline set")
	c.clock.Set(deadline.Add(-time.Minute)) // well within the TTL of what is cached next
	if res := c.waitServedFromCache(t, c.target, "the page with the deadline"); strings.Contains(res.Body, "vencido") {
		t.Fatal("deadline shown as passed before it")
	}
	c.clock.Set(deadline.Add(time.Second))
	if res := get(t, c.h, c.target); !strings.Contains(res.Body, "vencido") {
		t.Error("after the deadline the cache still served the page without \"vencido\"")
	}
}

// TestPageCacheOffWhileNotListening: when the listening connection is cut,
// pages come from the database until it listens again, and a change made
// meanwhile (its announcement lost) is shown.
func TestPageCacheOffWhileNotListening(t *testing.T) {
	t.Parallel()
	c := newCachedServer(t)
	ctx := context.Background()
	var schema string
	if err := c.f.svc.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := c.f.svc.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`,
		core.WatchApplicationName+": "+schema).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := c.svc.lookups.Load()
		get(t, c.h, c.target)
		if c.svc.lookups.Load() > before {
			break // no longer served from the cache
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache kept serving after its listening connection was cut")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The listener reconnects after about a second; change the protocol
	// before that, so its announcement goes to nobody.
	if _, err := c.f.svc.Pool().Exec(ctx, `UPDATE protocols SET status = 'concluded', concluded_at = $2 WHERE id = $1`,
		c.f.id, testNow); err != nil {
		t.Fatal(err)
	}
	res := c.waitServedFromCache(t, c.target, "the cache to listen again")
	if !strings.Contains(res.Body, "Concluído") {
		t.Errorf("after listening again the cache served the page from before the change")
	}
}

func TestPageCacheNeedsAWatcher(t *testing.T) {
	t.Parallel()
	onlyLookup := struct{ web.Lookup }{fixedLookup{benchView()}} // hides WatchProtocols
	_, err := web.NewServer(onlyLookup, web.Options{PageCache: web.PageCache{Entries: 10, Context: t.Context()}})
	if err == nil {
		t.Error("a page cache without a ProtocolWatcher was accepted")
	}
	_, err = web.NewServer(fixedLookup{benchView()}, web.Options{PageCache: web.PageCache{Entries: 10}})
	if err == nil {
		t.Error("a page cache without a Context was accepted")
	}
}
