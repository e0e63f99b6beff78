package audit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/writhq/writ"
	"golang.org/x/mod/sumdb/note"
)

// Key files in the data directory. The signing key and the commit key are
// secrets (mode 0600); the verifier key is what overseers are given.
const (
	SignerKeyFile   = "audit.key"        // note signer key: PRIVATE+KEY+name+hash+key
	VerifierKeyFile = "audit.pub"        // note verifier key: name+hash+key
	CommitKeyFile   = "audit-commit.key" // 32 random bytes, hex: the HMAC key for selector salts
)

// keys are the secrets a Log needs.
type keys struct {
	signer    note.Signer
	verifier  note.Verifier
	vkey      string
	commitKey []byte
}

// Init creates the audit log's keys in dir: an Ed25519 signing key for
// checkpoints named name (a note key name, e.g. "writ.example.org/audit"),
// its public verifier key, and the commit key for selector salts. It refuses
// to overwrite existing keys: losing them makes the log unverifiable and its
// commitments unopenable.
func Init(dir, name string) error {
	if name == "" || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsSpace) >= 0 || strings.Contains(name, "+") {
		return writ.Errorf(writ.EInvalid, "audit key name %q: want a non-empty name without spaces or '+', e.g. writ.example.org/audit", name)
	}
	for _, f := range []string{SignerKeyFile, VerifierKeyFile, CommitKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return writ.Errorf(writ.EConflict, "audit key %s already exists; refusing to overwrite it", filepath.Join(dir, f))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("audit init: %w", err)
		}
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return writ.Errorf(writ.EInvalid, "audit key name %q: %v", name, err)
	}
	var ck [32]byte
	if _, err := rand.Read(ck[:]); err != nil {
		return fmt.Errorf("audit init: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit init: %w", err)
	}
	if err := writeNew(filepath.Join(dir, SignerKeyFile), skey+"\n", 0o600); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, CommitKeyFile), hex.EncodeToString(ck[:])+"\n", 0o600); err != nil {
		return err
	}
	return writeNew(filepath.Join(dir, VerifierKeyFile), vkey+"\n", 0o644)
}

// writeNew writes a file that must not exist yet, and syncs it: a key that
// was used to sign and then lost in a crash would orphan the log.
func writeNew(path, content string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return writ.Errorf(writ.EConflict, "audit key %s already exists; refusing to overwrite it", path)
	} else if err != nil {
		return fmt.Errorf("audit init: %w", err)
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit init: write %s: %w", path, err)
	}
	return nil
}

// loadKeys reads and cross-checks the keys Init wrote.
func loadKeys(dir string) (*keys, error) {
	read := func(f string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			return "", writ.Errorf(writ.ENotFound, "audit key %s not found: create the keys with audit.Init", filepath.Join(dir, f))
		} else if err != nil {
			return "", fmt.Errorf("audit: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	skey, err := read(SignerKeyFile)
	if err != nil {
		return nil, err
	}
	vkey, err := read(VerifierKeyFile)
	if err != nil {
		return nil, err
	}
	ckey, err := read(CommitKeyFile)
	if err != nil {
		return nil, err
	}
	k := &keys{vkey: vkey}
	if k.signer, err = note.NewSigner(skey); err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit signing key %s: %v", filepath.Join(dir, SignerKeyFile), err)
	}
	if k.verifier, err = note.NewVerifier(vkey); err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit verifier key %s: %v", filepath.Join(dir, VerifierKeyFile), err)
	}
	// The pair must match, or the log would sign what its own verify rejects.
	msg, err := note.Sign(&note.Note{Text: "writ audit key check\n"}, k.signer)
	if err == nil {
		_, err = note.Open(msg, note.VerifierList(k.verifier))
	}
	if err != nil {
		return nil, writ.Errorf(writ.EInvalid, "audit keys in %s do not belong together: %s does not verify %s", dir, VerifierKeyFile, SignerKeyFile)
	}
	if k.commitKey, err = hex.DecodeString(ckey); err != nil || len(k.commitKey) != 32 {
		return nil, writ.Errorf(writ.EInvalid, "audit commit key %s: want 64 hex digits", filepath.Join(dir, CommitKeyFile))
	}
	return k, nil
}
