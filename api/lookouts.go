package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

// Lookouts: standing queries that alert (package lookout, docs/lookouts.md).
// Creating one is decided by the gate like a read of its authority's data;
// alerts reach only the case's roster.

// routeLookouts registers the lookout and alert endpoints. Without a
// lookout service (Config.Lookouts) they answer 404 with a reason.
func (s *Server) routeLookouts() {
	s.authed("GET /api/cases/{id}/lookouts", s.handleListLookouts)
	s.authed("POST /api/cases/{id}/lookouts", s.handleCreateLookout)
	s.authed("GET /api/lookouts/{id}", s.handleGetLookout)
	s.authed("POST /api/lookouts/{id}/pause", s.lookoutStatus(writ.LookoutPaused))
	s.authed("POST /api/lookouts/{id}/resume", s.lookoutStatus(writ.LookoutActive))
	s.authed("POST /api/lookouts/{id}/end", s.lookoutStatus(writ.LookoutEnded))
	s.authed("GET /api/alerts", s.handleAlerts)
	s.authed("GET /api/alerts/stream", s.handleAlertStream)
	s.authed("GET /api/alerts/dead-letters", s.handleDeadLetters)
	s.authed("POST /api/alerts/dead-letters/{id}/retry", s.handleRetryDeadLetter)
}

// NewLookout is the body of POST /api/cases/{id}/lookouts. Selectors are
// "kind:value" strings, as authorities take them. Retro, a Go duration
// ("720h"), asks for a retroactive check over that much of the past,
// clipped to the authority's window.
type NewLookout struct {
	AuthorityID int64            `json:"authority_id"`
	Kind        writ.LookoutKind `json:"kind"`
	Name        string           `json:"name"`
	Purpose     string           `json:"purpose"`
	Category    writ.Category    `json:"category,omitempty"`
	Selectors   []string         `json:"selectors,omitempty"`
	Area        writ.Polygon     `json:"area,omitempty"`
	Circle      *writ.Circle     `json:"circle,omitempty"`
	Entity      writ.Entity      `json:"entity,omitempty"`
	Dataset     string           `json:"dataset,omitempty"`
	Conditions  []writ.Condition `json:"conditions,omitempty"`
	Watch       []string         `json:"watch,omitempty"`
	Email       []string         `json:"email,omitempty"`
	WebhookURL  string           `json:"webhook_url,omitempty"`
	RatePerHour int              `json:"rate_per_hour,omitempty"`
	Retro       string           `json:"retro,omitempty"`
}

func (s *Server) lookoutsEnabled() error {
	if s.cfg.Lookouts == nil {
		return writ.Errorf(writ.ENotFound, "lookouts are not enabled on this server")
	}
	return nil
}

func (s *Server) handleCreateLookout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.lookoutsEnabled(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req NewLookout
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := c.require("creating a lookout", writ.RoleInvestigator, writ.RoleSupervisor); err != nil {
		return s.audited(r, c.user, writ.AuditEntry{Action: "lookout.create", CaseID: id, AuthorityID: req.AuthorityID}, err, nil)
	}
	l := &writ.Lookout{CaseID: id, AuthorityID: req.AuthorityID, Kind: req.Kind, Name: req.Name, Purpose: req.Purpose,
		Category: req.Category, Area: req.Area, Circle: req.Circle, Entity: req.Entity, Dataset: req.Dataset,
		Conditions: req.Conditions, Watch: req.Watch, Email: req.Email, WebhookURL: req.WebhookURL,
		RatePerHour: req.RatePerHour, CreatedBy: c.user.ID}
	for _, v := range req.Selectors {
		sel, err := writ.ParseSelector(v)
		if err != nil {
			return err
		}
		l.Selectors = append(l.Selectors, sel)
	}
	var retro time.Duration
	if req.Retro != "" {
		if retro, err = time.ParseDuration(req.Retro); err != nil || retro < 0 {
			return writ.Errorf(writ.EInvalid, "retro must be a duration such as 720h")
		}
	}
	if err := s.cfg.Lookouts.Create(r.Context(), l, retro); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l) // the only response that shows the webhook secret
	return nil
}

func (s *Server) handleListLookouts(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, _, err := s.caseFor(r.Context(), c, id, writ.RoleSupervisor); err != nil {
		return err
	}
	f := writ.LookoutFilter{CaseID: id, Status: writ.LookoutStatus(r.URL.Query().Get("status"))}
	ls, err := s.lookoutStore()
	if err != nil {
		return err
	}
	list, err := ls.ListLookouts(r.Context(), f)
	if err != nil {
		return err
	}
	for i, l := range list {
		list[i] = hideSecret(l)
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

// lookoutStore is the store's lookout side (sqlstore.DB implements it).
func (s *Server) lookoutStore() (writ.LookoutStore, error) {
	if ls, ok := s.store.(writ.LookoutStore); ok {
		return ls, nil
	}
	return nil, writ.Errorf(writ.ENotFound, "this store keeps no lookouts")
}

// lookoutSSE streams alerts; once the stream has begun, an error can only
// end it (its status is sent), so it is logged, not returned.
func lookoutSSE(s *Server, r *http.Request, w http.ResponseWriter, sub *lookout.Sub, backlog []*writ.Alert, cases func() ([]int64, error)) error {
	if err := lookout.SSE(r.Context(), w, sub, backlog, 15*time.Second, cases); err != nil {
		s.log.InfoContext(r.Context(), "alert stream ended", "err", err)
	}
	return nil
}

func hideSecret(l *writ.Lookout) *writ.Lookout {
	c := *l
	c.WebhookSecret = ""
	return &c
}

// lookoutFor loads a lookout whose case roster holds the caller.
func (s *Server) lookoutFor(r *http.Request, c *caller) (*writ.Lookout, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ls, err := s.lookoutStore()
	if err != nil {
		return nil, err
	}
	l, err := ls.LookoutByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.caseFor(r.Context(), c, l.CaseID, writ.RoleSupervisor); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Server) handleGetLookout(w http.ResponseWriter, r *http.Request, c *caller) error {
	l, err := s.lookoutFor(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hideSecret(l))
	return nil
}

// lookoutStatus pauses, resumes or ends a lookout: its case's roster may.
func (s *Server) lookoutStatus(st writ.LookoutStatus) func(http.ResponseWriter, *http.Request, *caller) error {
	action := map[writ.LookoutStatus]string{writ.LookoutPaused: "lookout.pause", writ.LookoutActive: "lookout.resume",
		writ.LookoutEnded: "lookout.end"}[st]
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if err := s.lookoutsEnabled(); err != nil {
			return err
		}
		l, err := s.lookoutFor(r, c)
		if err != nil {
			return err
		}
		e := writ.AuditEntry{Action: action, CaseID: l.CaseID, AuthorityID: l.AuthorityID, Reason: "lookout " + strconv.FormatInt(l.ID, 10)}
		if role, err := s.rosterRole(r.Context(), c, l.CaseID); err != nil {
			return err
		} else if role == "" {
			return s.audited(r, c.user, e, writ.Deny("roster_member", "only the case's roster may change its lookouts"), nil)
		}
		l, err = s.cfg.Lookouts.SetStatus(r.Context(), l.ID, st)
		if err != nil {
			return err
		}
		if err := s.audited(r, c.user, e, nil, nil); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, hideSecret(l))
		return nil
	}
}

// myCases lists the cases whose roster holds the caller: alerts go to the
// roster only, whatever the caller's deployment role.
func (s *Server) myCases(r *http.Request, c *caller) ([]int64, error) {
	cs, err := s.store.ListCases(r.Context(), writ.CaseFilter{MemberID: c.user.ID})
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, cs := range cs {
		ids = append(ids, cs.ID)
	}
	return ids, nil
}

// alertFilter reads ?case=, ?lookout=, ?after= and ?limit=, limited to the
// caller's cases.
func (s *Server) alertFilter(r *http.Request, c *caller) (writ.AlertFilter, error) {
	mine, err := s.myCases(r, c)
	if err != nil {
		return writ.AlertFilter{}, err
	}
	q := r.URL.Query()
	f := writ.AlertFilter{CaseIDs: mine}
	num := func(name string) (int64, error) {
		if q.Get(name) == "" {
			return 0, nil
		}
		v, err := strconv.ParseInt(q.Get(name), 10, 64)
		if err != nil || v < 0 {
			return 0, writ.Errorf(writ.EInvalid, "%s must be a non-negative integer", name)
		}
		return v, nil
	}
	caseID, err := num("case")
	if err != nil {
		return f, err
	}
	if caseID > 0 {
		f.CaseIDs = []int64{}
		for _, id := range mine {
			if id == caseID {
				f.CaseIDs = []int64{id}
			}
		}
		if len(f.CaseIDs) == 0 {
			return f, writ.Deny("roster_member", "%s is not on the roster of case %d", c.user.Username, caseID)
		}
	}
	if f.LookoutID, err = num("lookout"); err != nil {
		return f, err
	}
	if f.AfterID, err = num("after"); err != nil {
		return f, err
	}
	if v := r.Header.Get("Last-Event-ID"); v != "" && f.AfterID == 0 {
		if f.AfterID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, writ.Errorf(writ.EInvalid, "Last-Event-ID must be an alert id")
		}
	}
	limit, err := num("limit")
	f.Limit = int(limit)
	return f, err
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := s.alertFilter(r, c)
	if err != nil {
		return s.alertsRead(r, c, f, 0, err)
	}
	ls, err := s.lookoutStore()
	if err != nil {
		return err
	}
	list, err := ls.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	if err := s.alertsRead(r, c, f, len(list), nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

// alertsRead records a read of stored alerts, which hold case data, with
// its count — or its refusal (err forbidden). Alerts passed the gate when
// they fired; reading them again is recorded here, as the gate records
// reads of events.
func (s *Server) alertsRead(r *http.Request, c *caller, f writ.AlertFilter, n int, err error) error {
	e := writ.AuditEntry{Action: "lookout.alerts"}
	if len(f.CaseIDs) == 1 {
		e.CaseID = f.CaseIDs[0]
	} else if id, perr := strconv.ParseInt(r.URL.Query().Get("case"), 10, 64); perr == nil {
		e.CaseID = id // the case asked for and refused
	}
	return s.auditedRows(r, c.user, e, int64(n), err, nil)
}

// handleAlertStream is the in-app feed: Server-Sent Events of new alerts of
// the caller's cases, after the alerts since Last-Event-ID (or ?after=).
func (s *Server) handleAlertStream(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.lookoutsEnabled(); err != nil {
		return err
	}
	f, err := s.alertFilter(r, c)
	if err != nil {
		return s.alertsRead(r, c, f, 0, err)
	}
	// Subscribe before reading the backlog, so nothing falls between.
	sub := s.cfg.Lookouts.Hub.Subscribe(f.CaseIDs, 0)
	defer s.cfg.Lookouts.Hub.Unsubscribe(sub)
	var backlog []*writ.Alert
	if f.AfterID > 0 {
		ls, err := s.lookoutStore()
		if err != nil {
			return err
		}
		if backlog, err = ls.ListAlerts(r.Context(), f); err != nil {
			return err
		}
		if err := s.alertsRead(r, c, f, len(backlog), nil); err != nil {
			return err
		}
	}
	return lookoutSSE(s, r, w, sub, backlog, func() ([]int64, error) {
		if u, err := s.store.UserByID(r.Context(), c.user.ID); err != nil || !u.Active {
			return nil, writ.Errorf(writ.EUnauthorized, "signed out")
		}
		mine, err := s.myCases(r, c)
		if err != nil || r.URL.Query().Get("case") == "" {
			return mine, err
		}
		asked := f.CaseIDs[0] // alertFilter checked it was one of the caller's
		if slices.Contains(mine, asked) {
			return []int64{asked}, nil
		}
		return []int64{}, nil
	})
}

func (s *Server) handleDeadLetters(w http.ResponseWriter, r *http.Request, c *caller) error {
	mine, err := s.myCases(r, c)
	if err != nil {
		return err
	}
	ls, err := s.lookoutStore()
	if err != nil {
		return err
	}
	list, err := ls.ListDeadLetters(r.Context(), mine)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(list))
	return nil
}

func (s *Server) handleRetryDeadLetter(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.lookoutsEnabled(); err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ls, err := s.lookoutStore()
	if err != nil {
		return err
	}
	d, err := ls.DeadLetterByID(r.Context(), id)
	if err != nil {
		return err
	}
	if role, err := s.rosterRole(r.Context(), c, d.CaseID); err != nil {
		return err
	} else if role == "" {
		return writ.Deny("roster_member", "%s is not on the roster of case %d", c.user.Username, d.CaseID)
	}
	e := writ.AuditEntry{Action: "lookout.webhook_retry", CaseID: d.CaseID, Reason: "dead letter " + strconv.FormatInt(id, 10)}
	if err := s.cfg.Lookouts.RetryDeadLetter(r.Context(), id); err != nil {
		return err
	}
	if err := s.audited(r, c.user, e, nil, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
