package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Size is a browser window size in CSS pixels.
type Size struct {
	Name          string // file name part of screenshots: phone, desktop
	Width, Height int64
}

// The two widths every page is checked at.
var (
	Phone   = Size{Name: "phone", Width: 390, Height: 844}
	Desktop = Size{Name: "desktop", Width: 1280, Height: 900}
)

// Sizes are Phone and Desktop.
var Sizes = []Size{Phone, Desktop}

// AxeTags are the axe-core rule tags Audit runs: WCAG 2.0, 2.1 and 2.2,
// levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Browser is one headless Chromium for one test; each Tab is a tab of it.
type Browser struct {
	ctx context.Context // the browser's chromedp context
	axe string          // axe-core's source
	dir string          // where screenshots go
}

// missing fails the test in CI (CI=true) and skips it elsewhere, with why.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// ChromiumPath finds Debian's Chromium (scripts/setup installs it), or
// TRAMITA_CHROMIUM; "" when there is none.
func ChromiumPath() string {
	if p := os.Getenv("TRAMITA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// AxePath finds axe-core's axe.min.js: TRAMITA_AXE_JS, else the global npm
// folder (`npm install -g axe-core`, as scripts/setup does), else
// node_modules in the working directory or above it; "" when there is none.
func AxePath() string {
	if p := os.Getenv("TRAMITA_AXE_JS"); p != "" {
		return p
	}
	var dirs []string
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	dirs = append(dirs, "/usr/lib/node_modules", "/usr/local/lib/node_modules")
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "node_modules"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "axe-core", "axe.min.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// New starts headless Chromium for t (closed when t ends) with axe-core
// loaded. In CI (CI=true) a missing Chromium or axe-core fails t; elsewhere t
// is skipped with the reason. Screenshots go to TRAMITA_SCREENSHOT_DIR when
// set, else to a temporary folder (its path is logged).
func New(t testing.TB) *Browser {
	t.Helper()
	bin := ChromiumPath()
	if bin == "" {
		missing(t, "headless Chromium is not installed (Debian package chromium; scripts/setup installs it)")
	}
	axePath := AxePath()
	if axePath == "" {
		missing(t, "axe-core is not installed (npm install -g axe-core; scripts/setup installs it)")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	dir := os.Getenv("TRAMITA_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(int(Desktop.Width), int(Desktop.Height)),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now
		t.Fatalf("starting Chromium %s: %v", bin, err)
	}
	t.Logf("screenshots in %s", dir)
	return &Browser{ctx: ctx, axe: string(axe), dir: dir}
}

// Dir is the folder screenshots are saved in.
func (b *Browser) Dir() string { return b.dir }

// Tab opens a new tab with a size-sized viewport; it closes when t ends.
// Run chromedp actions on the returned context (chromedp.Do, chromedp.Run);
// each call is bounded by one minute through the helpers here.
func (b *Browser) Tab(t testing.TB, size Size) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(func() { cancel() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.Width, size.Height)); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// Do runs actions on tab with a one-minute limit, failing t on error.
func Do(t testing.TB, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Open navigates tab to url and waits for the page to load.
func Open(t testing.TB, tab context.Context, url string) {
	t.Helper()
	Do(t, tab, "opening "+url, chromedp.Navigate(url))
}

// textJS joins the body's text nodes (no script, style or template) with
// spaces: the text as written, before CSS transforms such as uppercase.
const textJS = `(() => {
  if (!document.body) return "";
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest("script, style, template") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const out = [];
  while (w.nextNode()) out.push(w.currentNode.data);
  return out.join(" ");
})()`

// Text is the text of tab's page body as written in the HTML (before CSS
// transforms such as uppercase), white space collapsed.
func Text(t testing.TB, tab context.Context) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](textJS))
	if err != nil {
		t.Fatalf("reading the page text: %v", err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// Location is the tab's current URL.
func Location(t testing.TB, tab context.Context) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatalf("reading the location: %v", err)
	}
	return s
}

// Screenshot saves a full-page PNG of tab as DIR/name.png and returns its
// path; an empty image fails t.
func (b *Browser) Screenshot(t testing.TB, tab context.Context, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 2000 {
		t.Errorf("screenshot %s is nearly empty (%d bytes)", name, len(png))
	}
	file := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// Violation is one axe-core rule the page breaks.
type Violation struct {
	ID          string   `json:"id"`
	Impact      string   `json:"impact"`
	Help        string   `json:"help"`
	HelpURL     string   `json:"helpUrl"`
	Targets     []string `json:"targets"`
	FailureText string   `json:"failure"`
}

// String describes v for a test failure.
func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s — %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "), v.FailureText)
}

// axeRun runs axe on the document and returns the violations, flattened.
const axeRun = `(async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(' ')),
    failure: v.nodes.map(n => n.failureSummary || '').join(' | ')}));
})()`

// Violations injects axe-core into tab's page (through DevTools, so the
// page's CSP needs no exception) and returns the WCAG 2.2 A/AA violations.
func (b *Browser) Violations(t testing.TB, tab context.Context) []Violation {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
			t.Fatalf("injecting axe-core: %v", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](fmt.Sprintf(axeRun, tags), chromedp.EvalAwaitPromise))
	if err != nil {
		var ee *chromedp.ExceptionError
		if errors.As(err, &ee) {
			t.Fatalf("axe.run threw: %v", err)
		}
		t.Fatalf("axe.run: %v", err)
	}
	var vs []Violation
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatalf("axe result: %v (%s)", err, raw)
	}
	return vs
}

// Audit fails t for every WCAG 2.2 A/AA violation axe-core finds on tab's
// page, and when the page is wider than the window (it must reflow without
// scrolling sideways, WCAG 1.4.10); name says which page in the failure.
func (b *Browser) Audit(t testing.TB, tab context.Context, name string) {
	t.Helper()
	for _, v := range b.Violations(t, tab) {
		t.Errorf("%s: accessibility violation %s", name, v)
	}
	if page, window := Widths(t, tab); page > window {
		t.Errorf("%s: the page is %d px wide in a %d px window: it scrolls sideways (WCAG 1.4.10 reflow)", name, page, window)
	}
	for _, r := range UnhintedScrolls(t, tab) {
		t.Errorf("%s: %s scrolls sideways with no visible hint (aria-describedby naming a shown text): "+
			"nothing tells a phone user that columns are hidden", name, r)
	}
}

// unhintedScrollsJS lists the elements that scroll sideways now (content
// wider than the box, overflow-x auto or scroll; form controls aside)
// without a visible hint: an aria-describedby naming an element that is
// rendered and has text.
const unhintedScrollsJS = `[...document.querySelectorAll('body *')].filter(e => {
	if (['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName)) return false;
	const o = getComputedStyle(e).overflowX;
	if ((o !== 'auto' && o !== 'scroll') || e.scrollWidth <= e.clientWidth + 1) return false;
	const ids = (e.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
	return !ids.some(id => {
		const h = document.getElementById(id);
		return h && h.getClientRects().length > 0 && getComputedStyle(h).visibility !== 'hidden' && h.textContent.trim() !== '';
	});
}).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') +
	(e.getAttribute('aria-labelledby') ? ' [' + (document.getElementById(e.getAttribute('aria-labelledby')) || {}).textContent + ']' : ''))`

// UnhintedScrolls returns the elements of tab's page that scroll sideways
// at its current width (a wide table in an overflow-x box, say) with no
// visible hint tied to them by aria-describedby. Audit fails on each: on a
// phone a cut-off table looks complete unless something says it scrolls.
func UnhintedScrolls(t testing.TB, tab context.Context) []string {
	t.Helper()
	out, err := chromedp.Run(tab, chromedp.Evaluate[[]string](unhintedScrollsJS))
	if err != nil {
		t.Fatalf("looking for sideways scrolls: %v", err)
	}
	return out
}

// Widths are the width of tab's page (scrollWidth) and of its window, in
// CSS pixels.
func Widths(t testing.TB, tab context.Context) (page, window int) {
	t.Helper()
	w, err := chromedp.Run(tab, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil || len(w) != 2 {
		t.Fatalf("measuring the page: %v", err)
	}
	return w[0], w[1]
}

// Check opens url at every size in Sizes, audits it with axe-core and saves
// a screenshot NAME-SIZE.png; it returns the visible text at the last size.
func (b *Browser) Check(t testing.TB, url, name string) string {
	t.Helper()
	var text string
	for _, size := range Sizes {
		tab := b.Tab(t, size)
		Open(t, tab, url)
		b.Audit(t, tab, name+" ("+size.Name+")")
		b.Screenshot(t, tab, name+"-"+size.Name)
		text = Text(t, tab)
	}
	return text
}

// SetFiles sets the files of the <input type=file> matched by css
// (absolute paths).
func SetFiles(css string, files ...string) chromedp.Action[chromedp.Void] {
	return chromedp.SetUploadFiles(chromedp.CSS(css), files)
}

// Follow runs actions that cause a navigation (a click on a submit button
// or a link), waits until the next page has loaded and returns its HTTP
// status; it fails t when no page loads within a minute.
func Follow(t testing.TB, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}
