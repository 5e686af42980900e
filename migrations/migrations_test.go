package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/starter-go/starter/generator"
	"github.com/starter-go/starter/runtime/pgtest"
	"github.com/starter-go/starter/templates"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// empty hands out databases with no schema at all, for the migrations to build.
type empty struct{}

func (empty) Hash() string                                  { return "empty" }
func (empty) Migrate(ctx context.Context, dsn string) error { return nil }

func TestEveryVariantMigratesUpDownAndUpAgain(t *testing.T) {
	t.Parallel()
	manifest, err := generator.LoadManifest(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range manifest.VariantNames() {
		features := manifest.Variants[variant]
		t.Run(variant, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.NewDatabase(t, empty{})
			m := open(t, variantMigrations(t, manifest, features), dsn)
			if err := m.Up(); err != nil {
				t.Fatalf("up: %v", err)
			}
			afterUp := objects(t, dsn)
			if len(afterUp) == 0 && len(features) > 0 {
				t.Fatalf("variant %s: up created nothing", variant)
			}
			if err := m.Down(); err != nil {
				t.Fatalf("down: %v", err)
			}
			if left := objects(t, dsn); len(left) != 0 {
				t.Errorf("after down, objects remain: %v", left)
			}
			if err := m.Up(); err != nil {
				t.Fatalf("up again: %v", err)
			}
			if again := objects(t, dsn); !slices.Equal(again, afterUp) {
				t.Errorf("objects after up, down, up = %v, want %v", again, afterUp)
			}
			if _, dirty, err := m.Version(); err != nil || dirty {
				t.Errorf("version: dirty=%v, %v; want clean", dirty, err)
			}
		})
	}
}

// variantMigrations is the migrations folder as the generator would write it
// for features: core files plus the files of the features chosen.
func variantMigrations(t *testing.T, manifest *generator.Manifest, features []string) fs.FS {
	t.Helper()
	const dir = "project/migrations"
	entries, err := fs.ReadDir(templates.FS, dir)
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, e := range entries {
		name := e.Name()
		if path.Ext(name) != ".sql" {
			continue
		}
		owner := manifest.Owner(path.Join("migrations", name))
		if owner != "" && !slices.Contains(features, owner) {
			continue
		}
		data, err := fs.ReadFile(templates.FS, path.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = &fstest.MapFile{Data: data}
	}
	if len(out) == 0 {
		t.Fatal("no migrations found")
	}
	return out
}

// open returns a migrate instance over src for the database at dsn, closed with the test.
func open(t *testing.T, src fs.FS, dsn string) *migrate.Migrate {
	t.Helper()
	s, err := iofs.New(src, ".")
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgxmigrate.WithInstance(openDB(t, dsn), &pgxmigrate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", s, "pgx5", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// objects lists what the migrations own in the public schema: relations (tables,
// indexes, sequences, views), functions and types; golang-migrate's table excepted.
func objects(t *testing.T, dsn string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT 'relation ' || c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relname NOT LIKE 'schema_migrations%'
		UNION ALL
		SELECT 'function ' || p.proname FROM pg_proc p
		JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
		UNION ALL
		SELECT 'type ' || t.typname FROM pg_type t
		JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return stdlib.OpenDB(*cfg)
}
