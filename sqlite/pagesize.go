package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strconv"
)

// FilePageSize reads the page size of the database file at path from its
// header (www.sqlite.org/fileformat.html: bytes 16–17, big-endian, 1 for
// 65536); a file that does not exist yet, or is empty, will get PageSize.
func FilePageSize(path string) (int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return PageSize, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var h [100]byte
	n, err := io.ReadFull(f, h[:])
	if n == 0 {
		return PageSize, nil
	}
	if err != nil || string(h[:16]) != "SQLite format 3\x00" {
		return 0, fmt.Errorf("%s is not a SQLite database", path)
	}
	size := int(binary.BigEndian.Uint16(h[16:18]))
	if size == 1 {
		size = 65536
	}
	if size < 512 || size&(size-1) != 0 {
		return 0, fmt.Errorf("%s: page size %d in its header", path, size)
	}
	return size, nil
}

// Repage rewrites the database at path with pages of PageSize bytes, as
// a new database gets them, and returns the page size it had. Databases
// made before 2026-11-22 have 4 KB pages (see pragmas). The store must be
// closed: Repage takes the database for itself (VACUUM, outside WAL mode,
// the only way SQLite changes a page size) and fails if another connection
// holds it. It needs free disk for a second copy of the database while it
// runs; a database that has PageSize already is left as it is.
func Repage(ctx context.Context, path string) (before int, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("repage: %w", err)
	}
	before, err = FilePageSize(path)
	if err != nil {
		return 0, err
	}
	if before == PageSize {
		return before, nil
	}
	// One connection, no busy timeout: a store still open elsewhere makes
	// the journal mode change fail at once rather than wait.
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?_pragma=foreign_keys(0)")
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return 0, fmt.Errorf("repage %s: leave WAL mode (is the store still open?): %w", path, err)
	}
	if mode != "delete" {
		return 0, fmt.Errorf("repage %s: the journal mode stayed %q: is the store still open?", path, mode)
	}
	for _, stmt := range []string{"PRAGMA page_size = " + strconv.Itoa(PageSize), "VACUUM", "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return 0, fmt.Errorf("repage %s: %s: %w", path, stmt, err)
		}
	}
	after, err := FilePageSize(path)
	if err != nil {
		return 0, err
	}
	if after != PageSize {
		return 0, fmt.Errorf("repage %s: page size %d after VACUUM, want %d", path, after, PageSize)
	}
	return before, nil
}
