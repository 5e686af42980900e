// The service's binary: HTTP API, migrations, test database and operator
// commands, all defined in internal/cli.
package main

import (
	"context"
	"os"

	"example.com/demo/internal/cli"
)

func main() {
	code := cli.Main(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(code)
}
