package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/writhq/writ"
	"github.com/writhq/writ/api"
)

// clientFlags locate the server and the credentials of a client command.
type clientFlags struct {
	server string
	token  string
	json   bool
	e      *env
}

func (c *clientFlags) register(fs *flag.FlagSet, e *env) {
	c.e = e
	fs.StringVar(&c.server, "server", e.getenv("WRIT_SERVER"), "server URL ($WRIT_SERVER; default: the one 'writ login' saved)")
	fs.BoolVar(&c.json, "json", false, "print JSON instead of a table")
}

// credentials is what 'writ login' saves: the server and an API token.
type credentials struct {
	Server string `json:"server"`
	Token  string `json:"token"`
	User   string `json:"user"`
}

func credentialsPath(e *env) (string, error) {
	dir := e.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := e.getenv("HOME")
		if home == "" {
			return "", errors.New("cannot find a config directory: set HOME or XDG_CONFIG_HOME")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "writ", "credentials.json"), nil
}

func loadCredentials(e *env) (*credentials, error) {
	p, err := credentialsPath(e)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &credentials{}, nil
	} else if err != nil {
		return nil, err
	}
	var c credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w; delete it and run 'writ login'", p, err)
	}
	return &c, nil
}

func saveCredentials(e *env, c *credentials) (string, error) {
	p, err := credentialsPath(e)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return p, os.WriteFile(p, b, 0o600)
}

// client returns an API client from flags, environment and saved credentials.
func (c *clientFlags) client() (*api.Client, error) {
	saved, err := loadCredentials(c.e)
	if err != nil {
		return nil, err
	}
	server, token := c.server, c.e.getenv("WRIT_TOKEN")
	if server == "" {
		server = saved.Server
	}
	if token == "" && (c.server == "" || c.server == saved.Server) {
		token = saved.Token
	}
	if server == "" {
		return nil, usageErr("no server: pass --server URL, set WRIT_SERVER, or run 'writ login --server URL'")
	}
	if token == "" {
		return nil, writ.Errorf(writ.EUnauthorized, "not logged in to %s", server)
	}
	return api.NewClient(server, token), nil
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// clientCtx is what a client leaf command runs with.
type clientCtx struct {
	*api.Client
	e    *env
	json bool
}
