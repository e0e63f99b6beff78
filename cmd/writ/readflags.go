package main

import (
	"flag"

	"github.com/writhq/writ/api"
)

// readFlags are the flags every read under an authority takes: the case, the
// authority, the purpose recorded in the audit log, the window, the
// selectors and, for spatial reads, an area.
type readFlags struct {
	caseID, auth   *int64
	purpose        *string
	from, to, area *string
	sels           multi
}

// register adds the flags. authHelp and selHelp tailor the help of
// --authority and --selector; windowNote is appended to --from and --to
// (e.g. " (default: the authority's)"); withArea adds --area.
func (r *readFlags) register(fs *flag.FlagSet, authHelp, selHelp, windowNote string, withArea bool) {
	r.caseID = fs.Int64("case", 0, "case id")
	r.auth = fs.Int64("authority", 0, authHelp)
	r.purpose = fs.String("purpose", "", "why you are reading this (recorded in the audit log)")
	r.from = fs.String("from", "", "window start"+windowNote)
	r.to = fs.String("to", "", "window end"+windowNote)
	empty := ""
	r.area = &empty
	if withArea {
		r.area = fs.String("area", "", "area 'lat,lon;lat,lon;lat,lon' (location and plates)")
	}
	fs.Var(&r.sels, "selector", selHelp)
}

// query checks the required flags and builds the read query; needWindow
// makes --from and --to required.
func (r *readFlags) query(needWindow bool) (int64, api.ReadQuery, error) {
	if *r.caseID == 0 || *r.auth == 0 || *r.purpose == "" {
		return 0, api.ReadQuery{}, usageErr("--case, --authority and --purpose are required")
	}
	if needWindow && (*r.from == "" || *r.to == "") {
		return 0, api.ReadQuery{}, usageErr("--case, --authority, --purpose, --from and --to are required")
	}
	q := api.ReadQuery{AuthorityID: *r.auth, Purpose: *r.purpose}
	var err error
	if q.From, err = parseTime("from", *r.from); err != nil {
		return 0, q, err
	}
	if q.To, err = parseTime("to", *r.to); err != nil {
		return 0, q, err
	}
	if q.Selectors, err = parseSelectors(r.sels); err != nil {
		return 0, q, err
	}
	if q.Area, err = parseArea(*r.area); err != nil {
		return 0, q, err
	}
	return *r.caseID, q, nil
}
