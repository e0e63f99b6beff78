// Command writ-verify checks an export of a writ audit log with nothing but
// the log's public key, so that an overseer need not trust the server (or
// this project's storage code) to know the log is intact.
//
//	writ-verify -key audit.pub [-checkpoint kept.txt] export.ndjson
//
// It prints OK with the tree size and root, or FAIL with the first bad entry,
// and exits 0, 1 on a failed verification, or 2 on a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/writhq/writ/audit"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("writ-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key", "", "`file` holding the log's public verifier key (audit.pub)")
	keptFile := fs.String("checkpoint", "", "optional `file` holding a checkpoint kept earlier; the export must contain it")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: writ-verify -key audit.pub [-checkpoint kept.txt] EXPORT

Verifies a writ audit log export (NDJSON, from "writ audit export"): every
entry's hash, the Merkle tree, and every signed checkpoint, using only the
public key. EXPORT "-" reads standard input.

Prints "OK ..." and exits 0 when the export is intact; prints "FAIL audit
entry N: ..." naming the first bad entry and exits 1 otherwise; exits 2 on a
usage error.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	if *keyFile == "" || fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "writ-verify: %v\n", err)
		return 2
	}
	var kept []byte
	if *keptFile != "" {
		if kept, err = os.ReadFile(*keptFile); err != nil {
			fmt.Fprintf(stderr, "writ-verify: %v\n", err)
			return 2
		}
	}
	in := stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "writ-verify: %v\n", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	rep, err := audit.VerifyExportAgainst(in, string(key), string(kept))
	if err != nil {
		fmt.Fprintf(stdout, "FAIL %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "OK %d entries, %d checkpoints; tree size %d, root %s\n", rep.Entries, rep.Checkpoints, rep.Size, rep.Root)
	if rep.Kept > 0 {
		fmt.Fprintf(stdout, "OK contains the kept checkpoint of size %d\n", rep.Kept)
	}
	return 0
}
