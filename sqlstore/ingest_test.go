package sqlstore

import (
	"encoding/json"
	"testing"
)

func TestJSONObject(t *testing.T) {
	tests := []map[string]string{
		nil,
		{},
		{"name": "Jon Doe"},
		{"b": "2", "a": "1", "": "empty key"},
		{"q": `"quoted" \back\slash`, "ctl": "a\x00b\x1fc\td\ne\rf", "html": "<a href='x'>&</a>", "u": "ü €𝄞 \u2028\u2029"},
		{"bad": "a\xffb\xc3", "\xfe": "key"},
	}
	for _, m := range tests {
		want, err := json.Marshal(m)
		if m == nil {
			want = []byte("{}")
		}
		if got := jsonObject(m); err != nil || got != string(want) {
			t.Errorf("jsonObject(%q) = %s, want %s (encoding/json)", m, got, want)
		}
	}
}

func FuzzJSONObject(f *testing.F) {
	f.Add("k", "v", "k2", "\x00<\u2028\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		want, _ := json.Marshal(m)
		if got := jsonObject(m); got != string(want) {
			t.Fatalf("jsonObject(%q) = %s, want %s (encoding/json)", m, got, want)
		}
	})
}
