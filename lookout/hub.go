package lookout

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/writhq/writ"
)

// Hub fans alerts out to in-app subscribers, each limited to the cases
// whose roster holds its user.
type Hub struct {
	mu   sync.RWMutex
	subs map[*Sub]struct{}
}

// Sub is one subscriber: alerts of its cases arrive on C. A subscriber that
// falls more than its buffer behind is marked Lagged and gets no more; it
// reconnects and reads what it missed from the store.
type Sub struct {
	C      chan *writ.Alert
	cases  atomic.Pointer[map[int64]bool]
	lagged atomic.Bool
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Sub]struct{}{}} }

// Subscribe adds a subscriber to the alerts of cases.
func (h *Hub) Subscribe(cases []int64, buf int) *Sub {
	if buf <= 0 {
		buf = 256
	}
	s := &Sub{C: make(chan *writ.Alert, buf)}
	s.SetCases(cases)
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Unsubscribe removes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// SetCases replaces the cases s receives (after a roster change).
func (s *Sub) SetCases(cases []int64) {
	m := make(map[int64]bool, len(cases))
	for _, c := range cases {
		m[c] = true
	}
	s.cases.Store(&m)
}

// Lagged reports whether s fell behind and lost alerts.
func (s *Sub) Lagged() bool { return s.lagged.Load() }

// Publish sends a to every subscriber of its case without waiting.
func (h *Hub) Publish(a *writ.Alert) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if !(*s.cases.Load())[a.CaseID] || s.lagged.Load() {
			continue
		}
		select {
		case s.C <- a:
		default:
			s.lagged.Store(true)
		}
	}
}

// SSE streams alerts to w as Server-Sent Events until ctx ends or the
// subscriber lags: first backlog (alerts after the client's Last-Event-ID),
// then live alerts. Every refresh it calls cases to re-read the user's
// roster, so a user taken off a case stops receiving its alerts; an error
// from cases ends the stream.
func SSE(ctx context.Context, w http.ResponseWriter, sub *Sub, backlog []*writ.Alert, refresh time.Duration, cases func() ([]int64, error)) error {
	fl, ok := w.(http.Flusher)
	if !ok {
		return writ.Errorf(writ.EInternal, "streaming unsupported")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The backlog and the live feed may overlap; alerts polled from other
	// processes may arrive out of id order, so only the backlog is remembered.
	sent := make(map[int64]bool, len(backlog))
	write := func(a *writ.Alert) error {
		if sent[a.ID] || !(*sub.cases.Load())[a.CaseID] {
			return nil
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "id: %d\nevent: alert\ndata: %s\n\n", a.ID, b)
		return err
	}
	if _, err := fmt.Fprint(w, ": writ alerts\nretry: 2000\n\n"); err != nil {
		return err
	}
	for _, a := range backlog {
		if err := write(a); err != nil {
			return err
		}
		sent[a.ID] = true
	}
	fl.Flush()
	if refresh <= 0 {
		refresh = 15 * time.Second
	}
	tick := time.NewTicker(refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case a := <-sub.C:
			if err := write(a); err != nil {
				return err
			}
			// Drain what is queued before flushing, to batch writes.
			for more := true; more; {
				select {
				case a := <-sub.C:
					if err := write(a); err != nil {
						return err
					}
				default:
					more = false
				}
			}
			fl.Flush()
		case <-tick.C:
			if sub.Lagged() {
				fmt.Fprint(w, "event: lagged\ndata: {}\n\n")
				fl.Flush()
				return nil
			}
			cs, err := cases()
			if err != nil {
				return err
			}
			sub.SetCases(cs)
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return err
			}
			fl.Flush()
		}
	}
}

// Len is the number of subscribers.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}
