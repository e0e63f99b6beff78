package audit

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// frontier holds, for each level of the tree, the hash of the most recently
// completed node. That is exactly what appending needs (the left siblings
// tlog.StoredHashesForRecordHash reads) and what hashing the whole tree needs
// (the maximal complete subtrees tlog.TreeHash reads), so the writer and the
// verifier keep 64 hashes in memory instead of reading the database.
type frontier struct {
	n [64]int64 // node index at each level, -1 for none yet
	h [64]tlog.Hash
}

func newFrontier() frontier {
	var f frontier
	for i := range f.n {
		f.n[i] = -1
	}
	return f
}

// add records the stored hashes of record n: hashes[i] is node (i, n>>i).
func (f *frontier) add(n int64, hashes []tlog.Hash) {
	for i, h := range hashes {
		f.n[i], f.h[i] = n>>i, h
	}
}

// ReadHashes implements tlog.HashReader over the frontier.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		level, n := tlog.SplitStoredHashIndex(x)
		if level >= len(f.n) || f.n[level] != n {
			return nil, fmt.Errorf("audit: hash (level %d, node %d) is not on the tree's right edge", level, n)
		}
		out[i] = f.h[level]
	}
	return out, nil
}

// frontierIndexes lists the stored-hash indexes of the frontier of a tree
// with size records, and their levels.
func frontierIndexes(size int64) (indexes []int64, levels []int) {
	for level := 0; level < 63 && size>>level > 0; level++ {
		indexes = append(indexes, tlog.StoredHashIndex(level, size>>level-1))
		levels = append(levels, level)
	}
	return indexes, levels
}

// A Checkpoint is a signed tree head. Its note text is five lines:
//
//	<origin>                the log's name: its signing key's name
//	<size>                  number of entries, decimal
//	<root>                  RFC 6962 tree hash of entries 0..size-1, base64
//	prev <size>             size of the checkpoint issued before this one (0 for the first)
//	time <RFC 3339 time>    when it was issued, UTC
//
// followed by the note signature block (golang.org/x/mod/sumdb/note). The
// first three lines are the C2SP tlog-checkpoint body; "prev" chains the
// checkpoints so a deleted one is noticed.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Prev   int64
	Time   time.Time
	Note   string // the whole signed note
}

// formatCheckpoint returns the unsigned text of a checkpoint.
func formatCheckpoint(origin string, size int64, root tlog.Hash, prev int64, t time.Time) string {
	return fmt.Sprintf("%s\n%d\n%s\nprev %d\ntime %s\n", origin, size, root, prev, t.UTC().Format(time.RFC3339Nano))
}

// sign signs a checkpoint.
func sign(s note.Signer, size int64, root tlog.Hash, prev int64, t time.Time) (string, error) {
	msg, err := note.Sign(&note.Note{Text: formatCheckpoint(s.Name(), size, root, prev, t)}, s)
	if err != nil {
		return "", fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return string(msg), nil
}

// OpenCheckpoint checks that signed is a checkpoint signed by verifierKey and
// parses it.
func OpenCheckpoint(verifierKey, signed string) (*Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(verifierKey))
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	return openCheckpoint(v, signed)
}

// openCheckpoint rejects a note not signed by v, or signed text that is not
// a well-formed checkpoint of v's log.
func openCheckpoint(v note.Verifier, signed string) (*Checkpoint, error) {
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("not signed by %s: %w", v.Name(), err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 6 || lines[5] != "" {
		return nil, fmt.Errorf("malformed checkpoint: want 5 lines")
	}
	c := &Checkpoint{Origin: lines[0], Note: signed}
	if c.Origin != v.Name() {
		return nil, fmt.Errorf("checkpoint is for log %q, not %q", c.Origin, v.Name())
	}
	if c.Size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || c.Size < 0 || lines[1] != strconv.FormatInt(c.Size, 10) {
		return nil, fmt.Errorf("malformed checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return nil, fmt.Errorf("malformed checkpoint root %q", lines[2])
	}
	copy(c.Root[:], root)
	prev, ok := strings.CutPrefix(lines[3], "prev ")
	if c.Prev, err = strconv.ParseInt(prev, 10, 64); !ok || err != nil || c.Prev < 0 || c.Prev > c.Size || (c.Prev == c.Size && c.Size > 0) {
		return nil, fmt.Errorf("malformed checkpoint line %q", lines[3])
	}
	ts, ok := strings.CutPrefix(lines[4], "time ")
	if c.Time, err = time.Parse(time.RFC3339Nano, ts); !ok || err != nil {
		return nil, fmt.Errorf("malformed checkpoint line %q", lines[4])
	}
	return c, nil
}
