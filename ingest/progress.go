package ingest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress is how far an ingest run has got.
type Progress struct {
	File    string
	Bytes   int64 // of the file (compressed, if it is) read so far
	Size    int64 // of the file
	Rows    int64 // input rows read
	Elapsed time.Duration
	Done    bool
}

// Rate is rows read per second so far.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Rows) / p.Elapsed.Seconds()
}

// ETA estimates the time left from the share of the file's bytes read.
func (p Progress) ETA() (time.Duration, bool) {
	if p.Bytes <= 0 || p.Size <= 0 || p.Bytes > p.Size {
		return 0, false
	}
	left := float64(p.Size-p.Bytes) / float64(p.Bytes) * float64(p.Elapsed)
	return time.Duration(left).Round(time.Second), true
}

// progress calls the Progress option periodically until stop is called.
func (r *run) progress(start time.Time) (stop func()) {
	every := r.opt.ProgressEvery
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	snap := func(done bool) Progress {
		return Progress{File: r.s.File, Bytes: r.file.n.Load(), Size: r.s.Bytes, Rows: r.rows.Load(),
			Elapsed: time.Since(start), Done: done}
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				r.opt.Progress(snap(false))
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		r.opt.Progress(snap(true))
	}
}

// ProgressPrinter renders progress on w: on a terminal, one line redrawn in
// place with a bar, rows/s and the ETA; otherwise a plain line every
// interval, for logs.
func ProgressPrinter(w io.Writer, terminal bool, interval time.Duration) func(Progress) {
	var last time.Time
	return func(p Progress) {
		if terminal {
			fmt.Fprintf(w, "\r%s", ProgressLine(p, true))
			if p.Done {
				fmt.Fprintln(w)
			}
			return
		}
		if p.Done || time.Since(last) >= interval {
			last = time.Now()
			fmt.Fprintln(w, ProgressLine(p, false))
		}
	}
}

// ProgressLine formats one progress report.
func ProgressLine(p Progress, bar bool) string {
	pct := 0.0
	if p.Size > 0 {
		pct = min(100, 100*float64(p.Bytes)/float64(p.Size))
	}
	eta := "ETA ?"
	if d, ok := p.ETA(); ok {
		eta = "ETA " + d.String()
	}
	if p.Done {
		eta = "done in " + p.Elapsed.Round(time.Millisecond).String()
	}
	line := fmt.Sprintf("%5.1f%% %s/%s  %d rows  %s rows/s  %s", pct, bytesText(p.Bytes), bytesText(p.Size), p.Rows,
		countText(p.Rate()), eta)
	if !bar {
		return p.File + ": " + line
	}
	const width = 30
	fill := int(pct / 100 * width)
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "] " + line + "  "
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func countText(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
