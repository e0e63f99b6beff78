package sqlite

import (
	"fmt"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite keeps a second allocator beside the page cache: sqlite3PageMalloc,
// the pcache1 module's, which B-tree cursors take their scratch space from
// whatever page cache is registered. It counts what it hands out in
// SQLite's statistics under pcache1's mutex, which only pcache1's own
// xInit makes, and SQLite calls only the registered cache's xInit. With
// writ's page cache registered that mutex was never made, and two
// connections opening cursors at once wrote the counters at once: a data
// race (`go test -race ./sqlite`, TestStore/PingsNear), harmless to the
// data but not to be left. initPcache1 makes pcache1's mutexes as its xInit
// would, once SQLite's mutexes exist.

// pcache1 is SQLite's default page cache's methods, taken before writ's
// replaces it (SQLITE_CONFIG_GETPCACHE2).
var pcache1 sqlite3.Tsqlite3_pcache_methods2

// savePcache1 keeps SQLite's default page cache's methods in pcache1. It
// must run before sqlite.RegisterPageCache.
func savePcache1() error {
	tls := libc.NewTLS()
	defer tls.Close()
	methods := libc.Xcalloc(tls, 1, libc.Tsize_t(unsafe.Sizeof(pcache1)))
	args := libc.Xmalloc(tls, libc.Tsize_t(unsafe.Sizeof(uintptr(0))))
	if methods == 0 || args == 0 {
		return fmt.Errorf("out of memory")
	}
	defer libc.Xfree(tls, methods)
	defer libc.Xfree(tls, args)
	if rc := sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_GETPCACHE2, libc.VaList(args, methods)); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("SQLITE_CONFIG_GETPCACHE2: %d", rc)
	}
	// The libc allocation as a pointer; by way of &methods, as go vet
	// rightly distrusts a uintptr made a pointer (it is not Go memory).
	pcache1 = **(**sqlite3.Tsqlite3_pcache_methods2)(unsafe.Pointer(&methods))
	if pcache1.FxInit == 0 {
		return fmt.Errorf("SQLITE_CONFIG_GETPCACHE2 gave no xInit")
	}
	return nil
}

// initPcache1 initialises SQLite (its mutexes, and the registered page
// cache), then pcache1 as its xInit does. It must run after
// sqlite.RegisterPageCache and before two connections can run at once.
func initPcache1() error {
	tls := libc.NewTLS()
	defer tls.Close()
	if rc := sqlite3.Xsqlite3_initialize(tls); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite3_initialize: %d", rc)
	}
	// A C function pointer, called as the transpiled SQLite calls one.
	xInit := *(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&struct{ uintptr }{pcache1.FxInit}))
	if rc := xInit(tls, pcache1.FpArg); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("pcache1 xInit: %d", rc)
	}
	return nil
}
