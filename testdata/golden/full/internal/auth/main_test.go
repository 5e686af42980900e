package auth_test

import (
	"os"
	"testing"

	"example.com/demo/internal/platform/pgtest"
)

// TestMain stops the embedded PostgreSQL that the database tests of this
// package start when TEST_DATABASE_URL is unset.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
