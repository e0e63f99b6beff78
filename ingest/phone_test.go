package ingest

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestPhoneFastPath compares the E.164 fast path with the library's parser
// on numbers of every country code and every length: where the fast path
// answers, it must give what the parser gives.
func TestPhoneFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var fast, checked int
	for cc := 1; cc < 1000; cc++ {
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		for n := 4; n <= 14; n++ {
			for range 12 {
				digits := make([]byte, n)
				for i := range digits {
					digits[i] = byte('0' + rng.IntN(10))
				}
				in := "+" + strconv.Itoa(cc) + string(digits)
				got, ok := phoneE164(in)
				if !ok {
					continue
				}
				fast++
				want, err := phoneParse(in, "BE")
				checked++
				if err != nil || want != got {
					t.Errorf("phoneE164(%q) = %q, the parser says %q, %v", in, got, want, err)
				}
			}
		}
	}
	if fast < 1000 {
		t.Errorf("the fast path answered for %d numbers of %d checked; want it used", fast, checked)
	}
}

func BenchmarkPhone(b *testing.B) {
	for _, in := range []string{"+32470123456", "0470 12 34 56"} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Phone(in, "BE"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
