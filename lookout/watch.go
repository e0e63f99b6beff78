package lookout

import (
	"context"
	"time"

	"github.com/writhq/writ"
)

// watchWindow is how far behind the newest alert Watch looks again: an
// alert is listed once audited, which may be after a later one was, so
// each poll re-reads this many ids back and skips those already seen.
const watchWindow = 256

// Watch publishes to in-app subscribers the alerts that other processes
// (a local `writ ingest` or `writ feed`) store and audit, polling the
// alerts table every interval until ctx ends. Alerts this process fired
// are published by it and skipped here.
func (s *Service) Watch(ctx context.Context, every time.Duration) error {
	s.watching.Store(true) // before lastAlert: no alert of ours falls between
	last, err := s.lastAlert(ctx)
	if err != nil {
		return err
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		from := max(0, last-watchWindow)
		for {
			as, err := s.store.ListAlerts(ctx, writ.AlertFilter{AfterID: from, Limit: writ.DefaultLimit})
			if err != nil {
				s.log.Warn("polling alerts failed", "err", err)
				break
			}
			for _, a := range as {
				from = a.ID
				s.pmu.Lock()
				seen := s.published[a.ID] || a.ID <= last-watchWindow
				s.published[a.ID] = true
				s.pmu.Unlock()
				if !seen && !a.Suppressed {
					s.Hub.Publish(a)
				}
			}
			last = max(last, from)
			if len(as) < writ.DefaultLimit {
				break
			}
		}
		s.pmu.Lock()
		for id := range s.published {
			if id <= last-watchWindow {
				delete(s.published, id)
			}
		}
		s.pmu.Unlock()
	}
}

// lastAlert is the id of the newest listed alert; every alert up to it
// counts as seen.
func (s *Service) lastAlert(ctx context.Context) (int64, error) {
	var last int64
	for {
		as, err := s.store.ListAlerts(ctx, writ.AlertFilter{AfterID: last, Limit: writ.DefaultLimit})
		if err != nil {
			return 0, err
		}
		for _, a := range as {
			s.pmu.Lock()
			s.published[a.ID] = true
			s.pmu.Unlock()
		}
		if len(as) == 0 {
			return last, nil
		}
		last = as[len(as)-1].ID
	}
}
