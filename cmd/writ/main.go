// Command writ is the one binary of writ: it initialises a data directory,
// serves the API, and is the command-line client of that API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/writhq/writ/gcpolicy"
)

func main() {
	gcpolicy.Apply(os.Getenv) // GOGC=400 and a 4 GiB soft limit unless the environment says otherwise
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}
