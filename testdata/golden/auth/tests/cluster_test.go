package tests

import (
	"context"
	"net/http"
	"testing"

	"example.com/demo/internal/apptest"
	"example.com/demo/internal/config"
	"example.com/demo/internal/database"
)

// Instances started together on an empty database in development migrate it
// once between them: golang-migrate holds an advisory lock while it
// migrates, and the others find nothing left to do.
func TestClusterAutoMigrateRunsOnce(t *testing.T) {
	t.Parallel()
	apps := apptest.NewCluster(t, 3, apptest.WithEmptyDatabase(),
		apptest.WithConfig(func(c *config.Config) { c.AutoMigrate = true }))
	m, err := database.NewMigrator()
	if err != nil {
		t.Fatal(err)
	}
	var version int
	var dirty bool
	if err := apps[0].DB.QueryRow(context.Background(), `SELECT version, dirty FROM schema_migrations`).Scan(&version, &dirty); err != nil {
		t.Fatal(err)
	}
	if uint(version) != m.Latest() || dirty {
		t.Fatalf("schema at version %d (dirty %v), want %d clean", version, dirty, m.Latest())
	}
	for i, app := range apps {
		if r := app.Get("/api/v1/health/ready"); r.Status != http.StatusOK {
			t.Fatalf("instance %d not ready: %s", i, r.Body)
		}
	}
}
