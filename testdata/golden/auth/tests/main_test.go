// Package tests holds the integration suites: each test starts the real
// service (apptest.New) on a database of its own.
package tests

import (
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"example.com/demo/internal/platform/pgtest"
)

// TestMain runs gin in release mode, as the command line does, and shares
// one PostgreSQL between the suites (pgtest.Main).
func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(pgtest.Main(m))
}
