package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/starter-go/starter/runtime/pgembed"
)

// shared is the one package-level variable: NewDatabase takes only a testing.TB, yet all tests of a
// process must share one server, its admin connections and the templates already built.
var shared harness

// harness is what the tests of one process share.
type harness struct {
	mu       sync.Mutex
	opened   bool
	admin    *admin
	server   *pgembed.Server // nil unless this process started it
	err      error
	builders map[string]*builder // by template name
}

// builder builds one template once per process and remembers the outcome.
type builder struct {
	mu   sync.Mutex
	done bool
	err  error
}

// skipError marks the one case where tests skip instead of failing: no CI, no TEST_DATABASE_URL,
// no binaries.
type skipError struct{ err error }

func (e skipError) Error() string { return e.err.Error() }
func (e skipError) Unwrap() error { return e.err }

func isSkip(err error) bool {
	var s skipError
	return errors.As(err, &s)
}

// open connects to TEST_DATABASE_URL or starts the embedded server, once.
func (h *harness) open() (*admin, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.opened {
		h.opened = true
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		h.admin, h.err = h.connect(ctx)
	}
	return h.admin, h.err
}

func (h *harness) connect(ctx context.Context) (*admin, error) {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		a, err := openAdmin(ctx, dsn, projectPrefix())
		if err != nil {
			return nil, fmt.Errorf("pgtest: TEST_DATABASE_URL: %w", err)
		}
		return a, nil
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		return nil, noDatabase(err, isCI())
	}
	a, err := openAdmin(ctx, srv.DSN("postgres"), projectPrefix())
	if err != nil {
		return nil, errors.Join(err, srv.Stop(ctx))
	}
	h.server = srv
	return a, nil
}

// noDatabase explains a failed start. Tests skip only outside CI, and only when PostgreSQL is not
// installed: a server that is installed but does not start is a failure to look at.
func noDatabase(err error, ci bool) error {
	err = fmt.Errorf("pgtest: no database: %w; %s", err, howToProvide)
	if errors.Is(err, pgembed.ErrNoBinaries) && !ci {
		return skipError{err}
	}
	return err
}

// isCI follows the convention of CI services, which set CI=true.
func isCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// close releases the connections and stops the server this process started.
func (h *harness) close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.admin != nil {
		h.admin.close()
	}
	var err error
	if h.server != nil {
		err = h.server.Stop(ctx)
	}
	h.opened, h.admin, h.server, h.err, h.builders = false, nil, nil, nil, nil
	return err
}

// clone makes a database from m's template, building the template first when this process has
// not yet. If another process dropped the template meanwhile (a newer migration set, a reset), it
// is rebuilt once.
func (h *harness) clone(ctx context.Context, a *admin, m Migrator) (string, error) {
	tpl := a.templateName(m)
	for attempt := 0; ; attempt++ {
		if err := h.template(ctx, a, tpl, m); err != nil {
			return "", err
		}
		name, err := a.clone(ctx, tpl)
		if attempt == 0 && isCode(err, "3D000") { // invalid_catalog_name: the template is gone
			h.forget(tpl)
			continue
		}
		return name, err
	}
}

func (h *harness) template(ctx context.Context, a *admin, tpl string, m Migrator) error {
	b := h.builder(tpl)
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.err = a.ensureTemplate(ctx, m)
		b.done = true
	}
	return b.err
}

func (h *harness) builder(tpl string) *builder {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.builders == nil {
		h.builders = map[string]*builder{}
	}
	b := h.builders[tpl]
	if b == nil {
		b = &builder{}
		h.builders[tpl] = b
	}
	return b
}

func (h *harness) forget(tpl string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.builders, tpl)
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}
