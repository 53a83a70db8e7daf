// Package browsertest drives headless Chromium (chromedp) in tests: it opens
// pages at phone (390 px) and desktop (1280 px) widths, saves full-page
// screenshots, and runs axe-core to fail on any WCAG 2.0/2.1/2.2 level A or
// AA violation.
//
// Chromium is Debian's chromium (or TRAMITA_CHROMIUM); axe-core is npm's
// axe-core, installed globally by scripts/setup (or TRAMITA_AXE_JS pointing
// at axe.min.js). In CI (CI=true) a missing one fails the test; elsewhere
// the test is skipped with the reason. The browser runs with no network
// beyond loopback and no sandbox (tests run as root in CI).
//
// Usage:
//
//	b := browsertest.New(t)                      // one browser per test
//	text := b.Check(t, srv.URL+"/novo", "novo")  // both sizes: axe + screenshots novo-phone.png, novo-desktop.png
//
//	tab := b.Tab(t, browsertest.Phone)           // your own steps
//	browsertest.Open(t, tab, srv.URL+"/novo")
//	browsertest.Do(t, tab, "filling the form",
//		chromedp.SetValue(chromedp.ID("nome"), "Maria"),
//		browsertest.SetFiles("#anexos", "/abs/path/foto.png"))
//	status := browsertest.Follow(t, tab, "submitting", chromedp.Click(chromedp.CSS("button[type=submit]")))
//	b.Audit(t, tab, "after submit")              // axe on whatever the tab shows now
//	b.Screenshot(t, tab, "novo-enviado-phone")
//	browsertest.Text(t, tab)                     // visible text
//
// Set TRAMITA_SCREENSHOT_DIR to keep the screenshots and look at them;
// otherwise they go to the test's temporary folder. A Click that submits a
// form or follows a link returns before the next page loads: run it inside
// Follow, which waits for that page and returns its HTTP status.
package browsertest
