package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/writhq/writ/api"
)

func serveCmd() *command {
	return &command{name: "serve", summary: "serve the API over HTTP (TLS when given a certificate)",
		usage: "[--data DIR] [--db URL] [--addr HOST:PORT] [--tls-cert FILE --tls-key FILE]",
		help: `Serves the JSON API (see docs/api.md; the OpenAPI document is at /api/openapi.json).
Without a certificate it listens on plain HTTP and is meant for loopback or a
TLS-terminating proxy (then pass --secure-cookies).`,
		flags: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			var l localFlags
			l.register(fs, e)
			addr := fs.String("addr", envOr(e, "WRIT_ADDR", "127.0.0.1:8080"), "listen address ($WRIT_ADDR)")
			cert := fs.String("tls-cert", e.getenv("WRIT_TLS_CERT"), "TLS certificate file (PEM) ($WRIT_TLS_CERT)")
			key := fs.String("tls-key", e.getenv("WRIT_TLS_KEY"), "TLS private key file (PEM) ($WRIT_TLS_KEY)")
			secure := fs.Bool("secure-cookies", false, "mark cookies Secure though this process does not terminate TLS")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErr("serve takes no arguments")
				}
				if (*cert == "") != (*key == "") {
					return usageErr("give both --tls-cert and --tls-key, or neither")
				}
				sys, err := l.open(ctx)
				if err != nil {
					return err
				}
				defer sys.Close()
				return serve(ctx, e, sys, *addr, *cert, *key, *secure)
			}
		}}
}

func serve(ctx context.Context, e *env, sys *system, addr, cert, key string, secure bool) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv := api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Logger: logger,
		Secure: secure || cert != ""})
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "writ serving on %s://%s (store: %s); Ctrl-C to stop\n", scheme, addr, sys.store.Dialect())
	return srv.ListenAndServe(ctx, addr, cert, key)
}
