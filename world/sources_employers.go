package world

import "encoding/csv"

var jobTitles = []string{"clerk", "driver", "warehouse operative", "sales assistant", "accountant", "engineer",
	"nurse", "teacher", "cleaner", "cook", "developer", "manager", "technician", "receptionist", "consultant",
	"security guard", "mechanic", "printer operator", "administrative assistant", "care worker"}

// writeEmployerFilings writes the social-security filing of every employed
// person, and of a previous job for some: comma-separated, gzipped, upper-case
// column names, dates yyyymmdd, the national number without punctuation.
func (w *world) writeEmployerFilings(o *outFile, t *recordTruth) error {
	c := csv.NewWriter(o)
	c.Write([]string{"FILING_REF", "EMPLOYER_VAT", "EMPLOYER_NAME", "WORKER_SURNAME", "WORKER_FORENAMES",
		"WORKER_BIRTHDATE", "WORKER_NISS", "WORKER_ADDRESS", "WORKER_POSTCODE", "WORKER_CITY", "WORK_PHONE",
		"START_DATE", "END_DATE", "JOB_TITLE", "MEDICAL_RESTRICTION", "FILED_ON"})
	seq := 0
	for pi := range w.persons {
		p := &w.persons[pi]
		if p.employer < 0 {
			continue
		}
		r := newRNG(w.seed, streamSource, 5, uint64(pi))
		type job struct {
			emp        int32
			start, end int32
		}
		jobs := []job{{emp: p.employer, start: w.today() - int32(r.rangeInt(30, 5000))}}
		if r.chance(0.1) {
			end := jobs[0].start - int32(r.rangeInt(1, 90))
			jobs = append(jobs, job{emp: int32(r.intn(len(w.employers))), start: end - int32(r.rangeInt(100, 2000)), end: end})
		}
		for _, j := range jobs {
			n := &noiser{r: &r}
			seq++
			e := &w.employers[j.emp]
			forenames := n.given("given_name", p.given, 0.04, 0.02)
			if p.middle != "" && r.chance(0.7) {
				forenames += " " + p.middle
			}
			filed := j.start + int32(r.intn(20))
			if j.end != 0 {
				filed = j.end + int32(r.intn(20))
			}
			a := w.addrAt(&w.households[p.household], filed)
			st, num, pc, city := w.addrFields(a, n, 0.15)
			niss := n.digits("national_id", digitsOnly(nationalID(p.dob, p.serial)), 0.01)
			if n.missing("national_id", 0.02) {
				niss = ""
			}
			ph := ""
			if p.work >= 0 && j.end == 0 {
				ph = nationalPhone(w.phones[p.work].number, r.chance(0.2))
			}
			end := ""
			if j.end != 0 {
				end = dateOf(j.end, "20060102")
			}
			medical := ""
			if cond := conditions[p.health]; cond != "" && r.chance(0.6) {
				medical = cond
			}
			id := "DMFA-" + pad(int(mix(w.seed^0xdf)%4_000_000)+seq, 9)
			c.Write([]string{id, e.vat, e.name, n.name("family_name", p.family, 0.02), forenames,
				n.date("birth_date", p.dob, "20060102", 0.01), niss, st + " " + num, pc, city, ph,
				dateOf(j.start, "20060102"), end, oneOf(&r, jobTitles), medical, dateOf(filed, "20060102")})
			o.rows++
			t.add(srcEmployers, id, int32(pi), n)
		}
	}
	c.Flush()
	return c.Error()
}
