//go:build browser

package tests

// The console in a real browser: headless Chromium driven over the DevTools
// protocol (chromedp). These tests are built only with -tags browser
// (`make test-browser`), so `go test ./...` never needs Chromium. Every
// request the page makes to another host is refused and fails the test,
// and so does any error the page reports (a script error, a blocked
// resource, a CSP violation). A failing test leaves a screenshot and a log
// of what the browser did in $BROWSER_ARTIFACTS (default: a directory
// under the system's temporary one), named after the test.

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/auth"
	"example.com/demo/internal/config"
)

// stepTimeout bounds one step of a scenario (a navigation, a wait for the
// page to show something): generous, for a loaded machine.
const stepTimeout = 30 * time.Second

// browser is one headless Chromium on one service.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	host string

	mu       sync.Mutex
	journal  []string
	blocked  []string
	problems []string
	// expected are problems a scenario causes on purpose (a refusal's
	// status), as substrings.
	expected []string
}

// chromium finds the browser: $CHROMIUM, else the usual names on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser tests need Chromium, and none is installed: install it (Debian, Ubuntu: " +
		"apt-get install chromium; macOS: brew install --cask chromium) or set CHROMIUM to its path")
	return ""
}

// consoleBrowserApp is a service whose console refreshes every second.
func consoleBrowserApp(t *testing.T, opts ...apptest.Option) *apptest.TestApp {
	t.Helper()
	return newApp(t, append([]apptest.Option{apptest.WithConfig(func(c *config.Config) {
		c.Console.PollInterval = time.Second
	})}, opts...)...)
}

// newBrowser starts Chromium with a profile of its own for app. Only the
// service's own host is reachable: every other request is refused and
// recorded.
func newBrowser(t *testing.T, app *apptest.TestApp) *browser {
	t.Helper()
	u, err := url.Parse(app.URL)
	if err != nil {
		t.Fatal(err)
	}
	// The service's cookies are Secure outside development, and browsers
	// keep Secure cookies from plain HTTP for localhost alone.
	u.Host = net.JoinHostPort("localhost", u.Port())
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// Nothing but the service resolves, whatever the page asks for.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium's sandbox refuses to run as root
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx, base: u.String(), host: u.Host}
	t.Cleanup(func() {
		if t.Failed() {
			b.saveArtifacts()
		}
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		t.Fatalf("intercept requests: %v", err)
	}
	go b.guardNetwork()
	go b.watchConsole()
	return b
}

// guardNetwork lets requests to the service through and refuses the rest.
func (b *browser) guardNetwork() {
	for ev, err := range chromedp.Events(b.ctx, fetch.RequestPaused) {
		if err != nil {
			return
		}
		u, perr := url.Parse(ev.Request.URL)
		if perr == nil && u.Host == b.host {
			_, _ = chromedp.Call(b.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			continue
		}
		b.note(&b.blocked, ev.Request.URL)
		b.note(&b.journal, "refused "+ev.Request.URL)
		_, _ = chromedp.Call(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID,
			ErrorReason: network.ErrorReasonBlockedByClient})
	}
}

// watchConsole records what the page says is wrong.
func (b *browser) watchConsole() {
	for m, err := range chromedp.Console(b.ctx) {
		if err != nil {
			return
		}
		b.note(&b.journal, "console "+m.String())
		if m.Type == chromedp.ConsoleError || m.IsException() {
			b.note(&b.problems, m.String())
		}
	}
}

func (b *browser) note(list *[]string, s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, time.Now().Format("15:04:05.000")+" "+s)
}

// saveArtifacts writes a screenshot of the page and the log of the test's
// browser, next to each other.
func (b *browser) saveArtifacts() {
	dir := os.Getenv("BROWSER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "console-browser-tests")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("browser artifacts: %v", err)
		return
	}
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name()))
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(name+".png", png, 0o644)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	b.mu.Lock()
	log := fmt.Sprintf("page: %s\n\n== what happened\n%s\n\n== refused requests to other hosts, not yet reported\n%s\n\n== problems the page reported, not yet reported\n%s\n\n== the page\n%s\n",
		loc, strings.Join(b.journal, "\n"), strings.Join(b.blocked, "\n"), strings.Join(b.problems, "\n"), html)
	b.mu.Unlock()
	_ = os.WriteFile(name+".log", []byte(log), 0o644)
	b.t.Logf("browser: screenshot %s.png, log %s.log", name, name)
}

// do runs steps, each navigation or wait bounded by stepTimeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.note(&b.journal, what)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// waitFor waits until the JavaScript expression is true, failing after
// stepTimeout with what it waited for.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	b.note(&b.journal, "wait: "+what)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(0)))
		if err == nil {
			return
		}
		// A navigation ends the poll with the page it ran in (the target
		// "navigated", its context "cannot be found"): poll the new one.
		if ctx.Err() != nil || !strings.Contains(err.Error(), "(-32000)") {
			b.t.Fatalf("the page never showed that %s (%s): %v", what, expr, err)
		}
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return fmt.Sprint(v)
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.waitFor("the page loaded", `document.readyState === "complete"`)
}

func (b *browser) path() string {
	b.t.Helper()
	return b.eval("location.pathname + location.search")
}

// login signs in through the form, as a person would.
func (b *browser) login(username, password string) {
	b.t.Helper()
	b.open("/console/login")
	b.do("sign in as "+username,
		chromedp.SendKeys(chromedp.CSS(`input[name="login"]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form[action="/console/login"] button[type="submit"]`)),
	)
	b.waitFor("the next page loaded", `location.pathname !== "/console/login" || document.querySelector(".problem") !== null`)
	b.waitFor("the page loaded", `document.readyState === "complete"`)
}

// submit clicks a form's button, then the confirmation page's.
func (b *browser) submitConfirmed(form string) {
	b.t.Helper()
	b.do("submit "+form, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	b.waitFor("the confirmation page", `document.querySelector('input[name="confirm"][value="yes"]') !== null`)
	b.do("confirm", chromedp.Click(chromedp.CSS(`input[name="confirm"] ~ button.primary`)))
	b.waitFor("the page after the action", `document.querySelector('input[name="confirm"]') === null && document.readyState === "complete"`)
}

// clean fails the test if the page asked for another host or reported a
// problem.
func (b *browser) clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.blocked) > 0 {
		b.t.Errorf("the page asked for other hosts: %v", b.blocked)
	}
	var problems []string
	for _, p := range b.problems {
		if !slices.ContainsFunc(b.expected, func(e string) bool { return strings.Contains(p, e) }) {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		b.t.Errorf("the page reported problems: %v", problems)
	}
	// Each problem is reported once, by the check after the page that
	// caused it.
	b.blocked, b.problems = nil, nil
}

// rendersFully checks that the page at path is whole: its style sheet and
// its script loaded, nothing wider than a phone's screen on a phone, and
// dark colours when the system prefers them.
func (b *browser) rendersFully(path string) {
	b.t.Helper()
	for _, c := range []struct {
		name          string
		width, height int64
		scheme        string
	}{{"laptop, light", 1280, 800, "light"}, {"phone, dark", 390, 844, "dark"}} {
		b.do(c.name,
			chromedp.EmulateViewport(c.width, c.height),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: c.scheme}}})
				return err
			}))
		b.open(path)
		b.waitFor(path+" is styled by the console's sheet", `getComputedStyle(document.querySelector("main")).maxWidth === "1200px"`)
		b.waitFor(path+" has htmx", `typeof htmx === "object" && typeof htmx.version === "string"`)
		b.waitFor(path+" fits the screen", `document.documentElement.scrollWidth <= window.innerWidth`)
		bg := b.eval(`getComputedStyle(document.body).backgroundColor`)
		if dark := bg == "rgb(18, 21, 27)"; dark != (c.scheme == "dark") {
			b.t.Errorf("%s (%s): background %s", path, c.name, bg)
		}
	}
	b.clean()
}

// A user signs in and gets no console: the login says why, and no page
// opens afterwards.
func TestBrowserUserGetsNoConsole(t *testing.T) {
	t.Parallel()
	app := consoleBrowserApp(t)
	u := app.CreateUser(apptest.UserOptions{Role: auth.RoleUser})
	b := newBrowser(t, app)
	b.expected = []string{"status of 403 (Forbidden)"}
	b.login(u.Username, u.Password)
	b.waitFor("the refusal", `document.querySelector(".problem")?.textContent.includes("no access to the console")`)
	b.open("/console")
	if p := b.path(); !strings.HasPrefix(p, "/console/login") {
		t.Fatalf("a user reached %s", p)
	}
	b.clean()
}

// With the network to anything but the service cut off, the auth pages
// render whole, on a laptop and on a phone, light and dark.
func TestBrowserPagesRenderOffline(t *testing.T) {
	t.Parallel()
	app := consoleBrowserApp(t)
	admin := app.CreateUser(apptest.UserOptions{Role: auth.RoleAdmin})
	other := app.CreateUser(apptest.UserOptions{Role: auth.RoleUser})
	b := newBrowser(t, app)
	b.rendersFully("/console/login")
	b.login(admin.Username, admin.Password)
	for _, p := range []string{"/console", "/console/users", "/console/users/" + other.ID.String()} {
		b.rendersFully(p)
	}
	// The confirmation page too.
	b.open("/console/users/" + other.ID.String())
	b.do("ask to deactivate", chromedp.Click(chromedp.CSS(`form[action$="/status"] button[type="submit"]`)))
	b.waitFor("the confirmation page", `document.querySelector('input[name="confirm"]') !== null`)
	b.waitFor("it is styled", `getComputedStyle(document.querySelector("main")).maxWidth === "1200px"`)
	b.clean()
}

// With the network to anything but the service cut off, the API's docs
// page renders this service's document: every operation listed, one opens
// with its parameters and responses, and nothing breaks the page's CSP.
func TestBrowserAPIDocsRenderOffline(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	b := newBrowser(t, app)
	b.open("/api/v1/docs")
	b.waitFor("the document's title", `document.querySelector(".swagger-ui .info .title") !== null`)
	b.waitFor("the operations", `document.querySelectorAll(".swagger-ui .opblock").length >= 10`)
	b.do("open the login operation", chromedp.Click(chromedp.CSS(`.opblock-post[id*="login"] .opblock-summary-control`)))
	b.waitFor("its responses", `document.querySelector('.opblock-post[id*="login"] .responses-table') !== null`)
	b.clean()
}

// chromedpClick clicks the element a CSS selector finds first.
func chromedpClick(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(css))
}
