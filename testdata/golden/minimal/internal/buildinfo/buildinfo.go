// Package buildinfo holds the identity of this service: its name and defaults,
// fixed when the project was generated, and the version stamped at build time.
package buildinfo

// Identity fixed by `starter new`.
const (
	// Name is the service and binary name.
	Name = "demo"
	// DefaultDBName is the database name used when none is configured.
	DefaultDBName = "demo"
	// DefaultPort is the HTTP port used when none is configured.
	DefaultPort = 8080
)

// Stamped with -ldflags "-X <module>/internal/buildinfo.Version=…" by the Makefile.
var (
	Version   = "dev"     //nolint:gochecknoglobals // set by -ldflags -X, which needs a variable
	Commit    = "none"    //nolint:gochecknoglobals // set by -ldflags -X, which needs a variable
	BuildTime = "unknown" //nolint:gochecknoglobals // set by -ldflags -X, which needs a variable
)
