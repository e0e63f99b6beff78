package api

import (
	"strings"
	"testing"

	"github.com/writhq/writ"
)

func TestHashPassword(t *testing.T) {
	const pw = "correct horse battery"
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword(%q) error: %v", pw, err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("HashPassword(%q) = %q, want PHC argon2id with m=19456,t=2,p=1", pw, h)
	}
	if h2, _ := HashPassword(pw); h2 == h {
		t.Errorf("HashPassword twice gave the same hash %q, want a fresh salt each time", h)
	}
	tests := []struct {
		try  string
		want bool
	}{
		{pw, true},
		{"correct horse battery ", false},
		{"Correct horse battery", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.try, func(t *testing.T) {
			got, err := CheckPassword(h, tt.try)
			if err != nil || got != tt.want {
				t.Errorf("CheckPassword(h, %q) = %v, %v, want %v, nil", tt.try, got, err, tt.want)
			}
		})
	}
}

func TestHashPasswordRules(t *testing.T) {
	tests := []struct {
		pw   string
		kind string
	}{
		{"short", writ.EInvalid},
		{"elevenchars", writ.EInvalid},
		{"twelve chars", ""},
		{"ünïcödé-twelve", ""},
		{strings.Repeat("x", MaxPasswordLen+1), writ.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.pw[:min(len(tt.pw), 20)], func(t *testing.T) {
			_, err := HashPassword(tt.pw)
			if got := writ.ErrorKind(err); got != tt.kind {
				t.Errorf("HashPassword(%q) error kind = %q, want %q (err %v)", tt.pw, got, tt.kind, err)
			}
		})
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	good, err := HashPassword("a good long password")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"version":      strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":  strings.Replace(good, "m=19456", "m=99999999", 1),
		"zero time":    strings.Replace(good, "t=2", "t=0", 1),
		"bad salt":     strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short key":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"extra fields": good + "$x",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := CheckPassword(h, "a good long password")
			if ok || err == nil {
				t.Errorf("CheckPassword(%q) = %v, %v, want false and an error", h, ok, err)
			}
		})
	}
}
