// Package tests holds the integration suites: each test starts the real
// service (apptest.New) on a database of its own.
package tests

import (
	"os"
	"testing"

	"example.com/demo/internal/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
