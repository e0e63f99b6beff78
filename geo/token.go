package geo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
)

// AuthorityKey derives the token key of one authority from the server's
// secret. Every authority gets its own key, so the tokens that step 1 of a
// geofence returns under one warrant cannot be joined with those of
// another case (or another warrant in the same case).
func AuthorityKey(secret []byte, authorityID int64) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("writ/geo/token/v1\x00authority\x00"))
	m.Write([]byte(strconv.FormatInt(authorityID, 10)))
	return m.Sum(nil)
}

var tokenEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Token is a device's pseudonym under a key: HMAC-SHA256, first 80 bits,
// base32 ("T" and 16 letters or digits). The same device gets the same
// token under one key, so step 2 can narrow by token; without the key it
// cannot be reversed or compared across keys.
func Token(key []byte, device string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(device))
	return "T" + tokenEnc.EncodeToString(m.Sum(nil)[:10])
}

// Tokens maps each device to its token, and back, for one step-1 answer.
// The reverse map stays on the server: step 3 (identification) looks a
// token up only under its own authority.
func Tokens(key []byte, devices []string) (toToken, toDevice map[string]string) {
	toToken = make(map[string]string, len(devices))
	toDevice = make(map[string]string, len(devices))
	for _, d := range devices {
		t := Token(key, d)
		toToken[d], toDevice[t] = t, d
	}
	return toToken, toDevice
}
