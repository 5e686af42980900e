package database

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"example.com/demo/migrations"
)

// migrationName matches NNNNNN_name.up.sql and NNNNNN_name.down.sql.
var migrationName = regexp.MustCompile(`^(\d+)_([a-z0-9_]+)\.(up|down)\.sql$`)

// Migration is one embedded migration.
type Migration struct {
	Version uint
	Name    string
}

// Migrator applies the embedded migrations with golang-migrate. It also
// satisfies pgtest.Migrator (Hash, Migrate), which builds the test template.
type Migrator struct {
	fsys fs.FS
	all  []Migration
}

// NewMigrator returns a Migrator over the migrations embedded in the binary.
func NewMigrator() (*Migrator, error) { return NewMigratorFS(migrations.FS) }

// NewMigratorFS returns a Migrator over the .sql files at the root of fsys.
func NewMigratorFS(fsys fs.FS) (*Migrator, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	m := &Migrator{fsys: fsys}
	for _, e := range entries {
		parts := migrationName.FindStringSubmatch(e.Name())
		if parts == nil || parts[3] != "up" {
			continue
		}
		v, err := strconv.ParseUint(parts[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", e.Name(), err)
		}
		m.all = append(m.all, Migration{Version: uint(v), Name: parts[2]})
	}
	slices.SortFunc(m.all, func(a, b Migration) int { return int(a.Version) - int(b.Version) })
	return m, nil
}

// All lists the embedded migrations in order.
func (m *Migrator) All() []Migration { return slices.Clone(m.all) }

// Latest is the version of the newest embedded migration (0 when there is none).
func (m *Migrator) Latest() uint {
	if len(m.all) == 0 {
		return 0
	}
	return m.all[len(m.all)-1].Version
}

// Hash identifies the migration set by the names and contents of its files.
func (m *Migrator) Hash() string {
	h := sha256.New()
	names, _ := fs.Glob(m.fsys, "*.sql")
	slices.Sort(names)
	for _, name := range names {
		data, err := fs.ReadFile(m.fsys, name)
		if err != nil {
			data = []byte(err.Error())
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Migrate applies every pending migration to the database at dsn.
func (m *Migrator) Migrate(ctx context.Context, dsn string) error { return m.Up(ctx, dsn) }

// Up applies every pending migration.
func (m *Migrator) Up(ctx context.Context, dsn string) error {
	return m.run(ctx, dsn, "up", func(g *migrate.Migrate) error { return g.Up() })
}

// Down reverts the last n applied migrations (n ≥ 1).
func (m *Migrator) Down(ctx context.Context, dsn string, n int) error {
	if n < 1 {
		return fmt.Errorf("migrate down: N must be at least 1, got %d", n)
	}
	return m.run(ctx, dsn, "down", func(g *migrate.Migrate) error { return g.Steps(-n) })
}

// Force records version v as applied and clean, without running anything;
// the way out after a failed migration was fixed by hand.
func (m *Migrator) Force(ctx context.Context, dsn string, v int) error {
	return m.run(ctx, dsn, "force", func(g *migrate.Migrate) error { return g.Force(v) })
}

// Status is the state of a database's schema.
type Status struct {
	// Version is the applied version, 0 when none.
	Version uint
	Dirty   bool
	Latest  uint
	// Pending are the embedded migrations newer than Version.
	Pending []Migration
}

// Status reads the applied version of the database at dsn.
func (m *Migrator) Status(ctx context.Context, dsn string) (Status, error) {
	st := Status{Latest: m.Latest()}
	err := m.run(ctx, dsn, "status", func(g *migrate.Migrate) error {
		v, dirty, err := g.Version()
		if errors.Is(err, migrate.ErrNilVersion) {
			return nil
		}
		st.Version, st.Dirty = v, dirty
		return err
	})
	for _, mig := range m.all {
		if mig.Version > st.Version {
			st.Pending = append(st.Pending, mig)
		}
	}
	return st, err
}

func (m *Migrator) run(ctx context.Context, dsn, op string, fn func(*migrate.Migrate) error) (err error) {
	if op != "status" {
		lock, err := lockMigrations(ctx, dsn)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", op, err)
		}
		defer lock.release()
	}
	g, err := m.open(dsn)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", op, err)
	}
	defer func() {
		srcErr, dbErr := g.Close()
		if err == nil {
			err = errors.Join(srcErr, dbErr)
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		select {
		case g.GracefulStop <- true:
		default:
		}
	})
	defer stop()
	if err := fn(g); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate %s: %w", op, err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("migrate %s: %w", op, ctx.Err())
	}
	return nil
}

func (m *Migrator) open(dsn string) (*migrate.Migrate, error) {
	src, err := iofs.New(m.fsys, ".")
	if err != nil {
		return nil, err
	}
	drv, err := openDriver(dsn)
	if err != nil {
		return nil, err
	}
	return migrate.NewWithInstance("iofs", src, "pgx5", drv)
}

// nameRule is what `migrate create NAME` accepts.
var nameRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Create writes the next numbered pair of empty migrations for name into dir
// and returns their paths.
func Create(dir, name string) (up, down string, err error) {
	if !nameRule.MatchString(name) {
		return "", "", fmt.Errorf("migrate create: NAME %q: must be lower-case letters, digits and _, starting with a letter", name)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", "", fmt.Errorf("migrate create: %w", err)
	}
	var next uint64 = 1
	for _, e := range entries {
		if parts := migrationName.FindStringSubmatch(e.Name()); parts != nil {
			v, _ := strconv.ParseUint(parts[1], 10, 64)
			next = max(next, v+1)
		}
	}
	base := filepath.Join(dir, fmt.Sprintf("%06d_%s", next, name))
	up, down = base+".up.sql", base+".down.sql"
	if err := writeNew(up, "-- "+name+": forward change.\n"); err != nil {
		return "", "", err
	}
	if err := writeNew(down, "-- "+name+": undo the forward change.\n"); err != nil {
		os.Remove(up)
		return "", "", err
	}
	return up, down, nil
}

func writeNew(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("migrate create: %w", err)
	}
	_, err = f.WriteString(content)
	return errors.Join(err, f.Close())
}
