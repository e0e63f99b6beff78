package main

import (
	"os"
	"path/filepath"
	"regexp"

	"context"
	"flag"
	"fmt"
	"github.com/writhq/writ"
	"github.com/writhq/writ/ingest"
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
			mappings := fs.String("mappings", "", "directory of ndjson mappings for streamed ingest, by file name (default DATA/mappings)")
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
				dir := *mappings
				if dir == "" {
					dir = filepath.Join(l.data, "mappings")
				}
				return serve(ctx, e, sys, *addr, *cert, *key, *secure, dir)
			}
		}}
}

func serve(ctx context.Context, e *env, sys *system, addr, cert, key string, secure bool, mappings string) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	lk, err := lookoutService(ctx, e, sys, logger, true)
	if err != nil {
		return err
	}
	defer lk.Close()
	srv := api.NewServer(api.Config{Store: sys.store, Gate: sys.gate, Audit: sys.log, Logger: logger,
		Secure: secure || cert != "", Mappings: mappingDir(mappings), Lookouts: lk})
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "writ serving on %s://%s (store: %s); Ctrl-C to stop\n", scheme, addr, sys.store.Dialect())
	return srv.ListenAndServe(ctx, addr, cert, key)
}

var mappingName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// mappingDir finds a streamed ingest's mapping by name in dir: name.json.
func mappingDir(dir string) func(string) (*ingest.Mapping, error) {
	return func(name string) (*ingest.Mapping, error) {
		if !mappingName.MatchString(name) {
			return nil, writ.Errorf(writ.EInvalid, "mapping name %q: lower-case letters, digits, - and _", name)
		}
		path := filepath.Join(dir, name+".json")
		if _, err := os.Stat(path); err != nil {
			return nil, writ.Errorf(writ.ENotFound, "no mapping %q on this server (looked for %s)", name, path)
		}
		return ingest.LoadMapping(path)
	}
}
