package database

import (
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"example.com/demo/migrations"
)

func TestMigratorReadsVersionsInOrder(t *testing.T) {
	t.Parallel()
	m, err := NewMigratorFS(fstest.MapFS{
		"000010_ten.up.sql":   {Data: []byte("SELECT 10")},
		"000010_ten.down.sql": {Data: []byte("SELECT 10")},
		"000002_two.up.sql":   {Data: []byte("SELECT 2")},
		"000002_two.down.sql": {Data: []byte("SELECT 2")},
		"embed.go":            {Data: []byte("package migrations")},
		"README":              {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{2, "two"}, {10, "ten"}}
	if got := m.All(); !slices.Equal(got, want) || m.Latest() != 10 {
		t.Fatalf("All = %v, Latest = %d", got, m.Latest())
	}
}

func TestHashFollowsNamesAndContents(t *testing.T) {
	t.Parallel()
	base := fstest.MapFS{"000001_a.up.sql": {Data: []byte("SELECT 1")}, "000001_a.down.sql": {Data: []byte("")}}
	hash := func(fsys fstest.MapFS) string {
		m, err := NewMigratorFS(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return m.Hash()
	}
	h := hash(base)
	if h != hash(base) {
		t.Fatal("hash is not stable")
	}
	changed := fstest.MapFS{"000001_a.up.sql": {Data: []byte("SELECT 2")}, "000001_a.down.sql": {Data: []byte("")}}
	renamed := fstest.MapFS{"000001_b.up.sql": {Data: []byte("SELECT 1")}, "000001_b.down.sql": {Data: []byte("")}}
	added := fstest.MapFS{"000001_a.up.sql": {Data: []byte("SELECT 1")}, "000001_a.down.sql": {Data: []byte("")}, "000002_c.up.sql": {Data: []byte("")}}
	for name, fsys := range map[string]fstest.MapFS{"content": changed, "name": renamed, "added": added} {
		if hash(fsys) == h {
			t.Errorf("hash ignores a changed %s", name)
		}
	}
}

// Every embedded migration has both halves, the first is 1 and no version is
// taken twice. Versions may skip numbers: a feature's later migrations are
// numbered after every feature's earlier ones (000004_auth_instances comes
// after 000003_tasks), so a project without that other feature has a gap,
// which golang-migrate does not mind.
func TestEmbeddedMigrationsArePairedAndIncreasing(t *testing.T) {
	t.Parallel()
	m, err := NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	for i, mig := range m.All() {
		if i == 0 && mig.Version != 1 || i > 0 && mig.Version <= m.All()[i-1].Version {
			t.Fatalf("migration %d has version %d", i+1, mig.Version)
		}
		down := pad6(mig.Version) + "_" + mig.Name + ".down.sql"
		if _, err := migrations.FS.Open(down); err != nil {
			t.Errorf("%s missing", down)
		}
	}
}

func pad6(v uint) string { return fmt.Sprintf("%06d", v) }

func TestContainsParam(t *testing.T) {
	t.Parallel()
	cases := []struct {
		dsn  string
		want bool
	}{
		{"postgres://u@h/db?pool_max_conns=5", true},
		{"postgres://u@h/db?sslmode=disable", false},
		{"host=h dbname=db pool_max_conns=5", true},
		{"host=h dbname=db", false},
	}
	for _, tc := range cases {
		if got := containsParam(tc.dsn, "pool_max_conns"); got != tc.want {
			t.Errorf("%s: %v", tc.dsn, got)
		}
	}
}
