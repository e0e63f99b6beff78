package ingest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/writhq/writ/ingest"
	"github.com/writhq/writ/postgres"
	"github.com/writhq/writ/sqlstore"
	"github.com/writhq/writ/world"
)

// The benchmarks ingest a file end to end (read, parse, normalise, hash,
// commit with the tables' indexes) through the world's mappings, into a
// fresh database each iteration, and report rows per second.

func BenchmarkIngestPings(b *testing.B) {
	benchIngest(b, "pings", 200_000, writePingsFile)
}

func BenchmarkIngestContacts(b *testing.B) {
	benchIngest(b, "contacts", 100_000, writeContactsFile)
}

func BenchmarkIngestRecords(b *testing.B) {
	benchIngest(b, "vehicle_registry", 50_000, writeVehiclesFile)
}

func benchIngest(b *testing.B, dataset string, rows int, write func(w *bufio.Writer, rows int)) {
	raw, err := world.Mapping(dataset)
	if err != nil {
		b.Fatal(err)
	}
	m, err := ingest.ParseMapping(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), dataset+".csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	write(w, rows)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	for _, store := range []struct {
		name string
		open func(testing.TB) *sqlstore.DB
	}{{"sqlite", openSQLite}, {"postgres", func(tb testing.TB) *sqlstore.DB { return postgres.OpenTest(tb) }}} {
		b.Run(store.name, func(b *testing.B) {
			b.ReportAllocs()
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := store.open(b)
				basis := newBases(b, db, dataset)
				opt := ingest.Options{Basis: basis.agreements[dataset]}
				if m.Kind != "records" {
					opt.Basis = basis.authority
				}
				b.StartTimer()
				start := time.Now()
				s, err := ingest.File(context.Background(), db, m, path, opt)
				elapsed += time.Since(start)
				if err != nil || s.Stored != int64(rows) {
					b.Fatalf("File() = %+v, %v; want %d rows stored", s, err, rows)
				}
			}
			b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// writePingsFile writes pings as the world does: devices reporting every
// few minutes, in time order, around Brussels.
func writePingsFile(w *bufio.Writer, rows int) {
	w.WriteString("device,at,lat,lon,accuracy_m\n")
	const devices = 2000
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	for i := range rows {
		d := i % devices
		fmt.Fprintf(w, "3533201156%05d,%d,%.6f,%.6f,%d\n", d, t0+int64(i/devices)*300+int64(d%300),
			50.77+float64((i*7919)%16000)/1e5, 4.27+float64((i*104729)%21000)/1e5, 10+i%20)
	}
}

func writeContactsFile(w *bufio.Writer, rows int) {
	w.WriteString("caller,callee,started_at,duration_s,type\n")
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		kind, dur := "call", 30+i%600
		if i%3 == 0 {
			kind, dur = "sms", 0
		}
		fmt.Fprintf(w, "+3247%07d,+3247%07d,%s,%d,%s\n", (i*7919)%50000, (i*104729)%50000,
			t0.Add(time.Duration(i)*2*time.Second).Format(time.RFC3339), dur, kind)
	}
}

func writeVehiclesFile(w *bufio.Writer, rows int) {
	w.WriteString("registration_id;plate;vin;make;model;colour;first_registration;registered_on;owner_surname;owner_first_name;" +
		"owner_birth_date;owner_national_number;owner_street;owner_house_number;owner_postcode;owner_city\n")
	for i := range rows {
		fmt.Fprintf(w, "DIV%08d;%d-%c%c%c-%03d;VF1TKC4G1SP%06d;Renault;Clio;brown;14/07/2007;%02d/%02d/2023;NICOLAS;Jean-Pierre;"+
			"27/10/1994;94.10.27-%03d.32;Rue Saint-Lambert;%d;1040;Etterbeek\n",
			i, 1+i%9, 'A'+i%26, 'A'+(i/26)%26, 'A'+(i/676)%26, i%1000, i, 1+i%28, 1+i%12, i%1000, 1+i%200)
	}
}
