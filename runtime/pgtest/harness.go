package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/starter-go/starter/runtime/pgembed"
)

// shared is the one package-level variable: NewDatabase takes only a testing.TB, yet all tests of a
// process must share one server, its admin connections and the templates already built.
var shared harness //nolint:gochecknoglobals // one server per test process, as said above

// harness is what the tests of one process share.
type harness struct {
	mu       sync.Mutex
	opened   bool
	admin    *admin
	server   *pgembed.Server // nil unless this process started it
	err      error
	builders map[string]*builder // by template name
	spares   int                 // clones prepared ahead per template; set by Main, which drops them
	refills  sync.WaitGroup
	closing  bool
}

// builder builds one template once per process and remembers the outcome; spare holds clones
// prepared ahead of the tests that will take them.
type builder struct {
	mu        sync.Mutex
	done      bool
	err       error
	spare     chan string
	refilling atomic.Bool
	ready     atomic.Bool // built without error, readable without mu
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
		a.pooler = os.Getenv("TEST_DATABASE_POOLER_URL")
		return a, nil
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{})
	if err != nil {
		return nil, noDatabase(err)
	}
	a, err := openAdmin(ctx, srv.DSN("postgres"), projectPrefix())
	if err != nil {
		return nil, errors.Join(err, srv.Stop(ctx))
	}
	h.server = srv
	return a, nil
}

// close releases the connections and stops the server this process started.
func (h *harness) close(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.refills.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.admin != nil {
		h.dropSpares(ctx)
		h.admin.close()
	}
	h.closing, h.spares = false, 0
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
		name, err := h.take(ctx, a, tpl)
		// invalid_catalog_name: the template was dropped while being cloned.
		if attempt == 0 && (errors.Is(err, errTemplateGone) || isCode(err, "3D000")) {
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
		b.err = a.ensureTemplate(ctx, m, h.builtTemplates()...)
		b.done = true
		b.ready.Store(b.err == nil)
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
		b = &builder{spare: make(chan string, h.spares)}
		h.builders[tpl] = b
	}
	return b
}

// forget makes the next clone build tpl again; its spares stay, valid clones of the same schema.
func (h *harness) forget(tpl string) {
	b := h.builder(tpl)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.err = false, nil
	b.ready.Store(false)
}

func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// take returns a spare clone when one is ready, else clones now; either way it has spares prepared
// for the next callers. A test then starts without waiting for its CREATE DATABASE (a FILE_COPY
// clone mostly waits for two checkpoints), which is most of the time it would wait for a database.
// A suite gains when its tests do more than touch the database: the spares are cloned while the
// tests run. A suite whose tests only create and drop databases can even be slower, since the
// spares then compete with those tests for the same server.
func (h *harness) take(ctx context.Context, a *admin, tpl string) (string, error) {
	b := h.builder(tpl)
	defer h.refill(a, b, tpl)
	select {
	case name := <-b.spare:
		return name, nil
	default:
		return a.clone(ctx, tpl)
	}
}

// refill prepares spares on a goroutine of its own, one such goroutine per template at a time.
func (h *harness) refill(a *admin, b *builder, tpl string) {
	if cap(b.spare) == 0 || !b.refilling.CompareAndSwap(false, true) {
		return
	}
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		b.refilling.Store(false)
		return
	}
	h.refills.Add(1) // under mu: close waits only after no more can be added
	h.mu.Unlock()
	go func() {
		defer h.refills.Done()
		defer b.refilling.Store(false)
		for len(b.spare) < cap(b.spare) {
			name, err := a.clone(context.Background(), tpl)
			if err != nil {
				return // the next take clones by itself and reports the error
			}
			b.spare <- name
		}
	}()
}

func (h *harness) dropSpares(ctx context.Context) {
	for _, b := range h.builders {
		for len(b.spare) > 0 {
			_ = h.admin.drop(ctx, <-b.spare)
		}
	}
}

// builtTemplates lists the templates this process has built or found.
func (h *harness) builtTemplates() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for name, b := range h.builders {
		if b.ready.Load() {
			names = append(names, name)
		}
	}
	return names
}

// noDatabase explains a failed start. It is always a failure, never a skip: a suite that passes
// by running nothing would hide the missing database.
func noDatabase(err error) error {
	return fmt.Errorf("pgtest: no database: %w; %s", err, howToProvide)
}
