package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/writhq/writ"
	"io"
	"os"
	"strconv"
)

func auditCmd() *command {
	return &command{name: "audit", summary: "verify, checkpoint, prove and export the audit log",
		help: `These commands work on the data directory directly (run them where the database is
reachable). An overseer keeps the checkpoints printed by 'writ audit checkpoint';
'writ audit verify --against FILE' later proves the log only grew since.
An export can be checked by anyone with the public key alone: see 'writ-verify'
and docs/audit.md.`,
		subs: []*command{auditVerifyCmd(), auditCheckpointCmd(), auditProveCmd(), auditExportCmd(), auditSaltCmd(), auditEntriesCmd()}}
}

func auditVerifyCmd() *command {
	return localLeaf("verify", "recompute the whole Merkle tree and check every checkpoint", "[--against CHECKPOINT_FILE]",
		"Exits 1 and names the first bad entry if any entry was changed, removed, inserted or reordered.",
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			against := fs.String("against", "", "also prove consistency with a checkpoint kept earlier (file)")
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				rep, err := sys.log.Verify(ctx)
				if err != nil {
					return fmt.Errorf("audit log verification FAILED: %w", err)
				}
				fmt.Fprintf(e.stdout, "audit log OK: %d entries, %d stored hashes and %d signed checkpoints recomputed; tree size %d, root %s\n",
					rep.Entries, rep.Hashes, rep.Checkpoints, rep.Size, rep.Root)
				if *against == "" {
					return nil
				}
				b, err := os.ReadFile(*against)
				if err != nil {
					return err
				}
				if _, err := sys.log.VerifyAgainst(ctx, string(b)); err != nil {
					return fmt.Errorf("audit log is NOT consistent with %s: %w", *against, err)
				}
				fmt.Fprintf(e.stdout, "consistent with the checkpoint in %s\n", *against)
				return nil
			}
		})
}

func auditCheckpointCmd() *command {
	return localLeaf("checkpoint", "print the latest signed tree head (keep it)", "", "",
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				cp, err := sys.log.Checkpoint(ctx)
				if err != nil {
					return err
				}
				fmt.Fprint(e.stdout, cp)
				return nil
			}
		})
}

func auditProveCmd() *command {
	return localLeaf("prove", "print an inclusion proof of entry N in the latest checkpoint", "N", "",
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				n, err := oneIndex(args)
				if err != nil {
					return err
				}
				p, err := sys.log.Prove(ctx, n)
				if err != nil {
					return err
				}
				return printJSON(e, p)
			}
		})
}

func auditExportCmd() *command {
	return localLeaf("export", "write the whole log, with checkpoints, for an outside verifier", "[-o FILE]",
		"The format is documented in docs/audit.md; check it with 'writ-verify --key DATA/audit.pub FILE'.",
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			out := fs.String("o", "", "output file (default standard output)")
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				w := e.stdout
				if *out != "" {
					f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				if err := sys.log.Export(ctx, w); err != nil {
					return err
				}
				if *out != "" {
					fmt.Fprintf(e.stderr, "wrote %s; public key: %s\n", *out, sys.log.VerifierKey())
				}
				return nil
			}
		})
}

func auditSaltCmd() *command {
	return localLeaf("salt", "open the selector salt of entry N (for a court)", "N",
		`Prints the salt of one entry, so that a court can check that entry's selector
commitments against claimed identifiers without learning anything about other entries.`,
		func(fs *flag.FlagSet) func(context.Context, *env, *system, []string) error {
			return func(ctx context.Context, e *env, sys *system, args []string) error {
				n, err := oneIndex(args)
				if err != nil {
					return err
				}
				salt, err := sys.log.Salt(n)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%x\n", salt)
				return nil
			}
		})
}

func oneIndex(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usageErr("give one entry index")
	}
	n, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || n < 0 {
		return 0, usageErr("entry index %q is not a non-negative number", args[0])
	}
	return n, nil
}

func auditEntriesCmd() *command {
	return clientLeaf("entries", "list audit entries through the API (auditors)", "[--from N] [--limit N] [--case ID]",
		func(fs *flag.FlagSet) func(context.Context, *clientCtx, []string) error {
			from := fs.Int64("from", 0, "first entry index")
			limit := fs.Int("limit", 50, "how many entries")
			caseID := fs.Int64("case", 0, "only entries about this case")
			return func(ctx context.Context, c *clientCtx, args []string) error {
				es, err := c.AuditEntries(ctx, writ.AuditFilter{From: *from, Limit: *limit, CaseID: *caseID})
				if err != nil || c.json {
					return orJSON(c.e, es, err)
				}
				table(c.e.stdout, "INDEX\tTIME\tACTOR\tACTION\tCASE\tAUTH\tDECISION\tRULE\tROWS\tPURPOSE", func(w io.Writer) {
					for _, a := range es {
						fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\t%s\n", a.Index, fmtTime(a.Time), a.Actor, a.Action,
							a.CaseID, a.AuthorityID, a.Decision, a.Rule, a.Results, a.Purpose)
					}
				})
				return nil
			}
		})
}
