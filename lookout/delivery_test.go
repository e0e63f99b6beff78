package lookout_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/writhq/writ"
	"github.com/writhq/writ/lookout"
)

// smtpServer is a minimal SMTP server on loopback that keeps each message
// it receives: enough of RFC 5321 for net/smtp's client.
type smtpServer struct {
	addr string
	msgs chan smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data string
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String(), msgs: make(chan smtpMessage, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test.local ESMTP")
	var m smtpMessage
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test.local")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			addr, _, _ := strings.Cut(strings.TrimSpace(line)[10:], " ") // drop parameters such as BODY=8BITMIME
			m = smtpMessage{from: strings.Trim(addr, "<>")}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			m.to = append(m.to, strings.Trim(strings.TrimSpace(line)[8:], "<>"))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.data = b.String()
			s.msgs <- m
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 OK")
		}
	}
}

// TestEmailArrives sends an alert through a real SMTP conversation.
func TestEmailArrives(t *testing.T) {
	srv := newSMTPServer(t)
	f := newFixture(t, lookout.Config{Mail: &lookout.Mailer{Addr: srv.addr, From: "writ@example.org"}})
	a := f.authority(t, []writ.Category{writ.CatPlates}, []string{"plate:1ABC123"}, nil, 24*time.Hour)
	l := f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutHotlist, Name: "stolen van",
		Selectors: []writ.Selector{{Kind: writ.SelPlate, Value: "1ABC123"}}, Email: []string{"ivy@example.org"}})
	b := f.batch(writ.DataPlateReads)
	b.PlateReads = []writ.PlateRead{plateRead("1ABC123", "cam-7", t0.Add(time.Minute), lat0, lon0)}
	f.commit(t, b)
	select {
	case m := <-srv.msgs:
		if m.from != "writ@example.org" || len(m.to) != 1 || m.to[0] != "ivy@example.org" {
			t.Errorf("envelope from %q to %v, want writ@example.org to ivy@example.org", m.from, m.to)
		}
		for _, want := range []string{"Subject: ", "stolen van", "hotlisted plate 1ABC123 read by camera cam-7", "camera: cam-7", "X-Writ-Alert: "} {
			if !strings.Contains(m.data, want) {
				t.Errorf("message lacks %q:\n%s", want, m.data)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no e-mail arrived at the SMTP server (alerts: %v)", summaries(f.alerts(t, l.ID)))
	}
}

// hookServer answers webhooks with the statuses in plan (then 200), and
// keeps every request's signature check and arrival time.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	plan     []int
	fail     atomic.Bool // answer 503 to everything
	arrivals []time.Time
	ok       []json.RawMessage
	secret   atomic.Pointer[string]
	badSig   atomic.Int32
}

func newHookServer(t *testing.T, plan ...int) *hookServer {
	h := &hookServer{plan: plan}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if s := h.secret.Load(); s == nil || lookout.Verify(*s, r.Header, body, time.Now(), time.Minute) != nil {
			h.badSig.Add(1)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.arrivals = append(h.arrivals, time.Now())
		status := http.StatusOK
		if h.fail.Load() {
			status = http.StatusServiceUnavailable
		} else if len(h.plan) > 0 {
			status, h.plan = h.plan[0], h.plan[1:]
		}
		if status == http.StatusOK {
			h.ok = append(h.ok, body)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) counts() (tries, ok int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.arrivals), len(h.ok)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func hookLookout(t *testing.T, f *fixture, url string) *writ.Lookout {
	a := f.authority(t, []writ.Category{writ.CatComms}, []string{"phone:" + phoneA}, nil, 24*time.Hour)
	return f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutAppears, WebhookURL: url,
		Selectors: []writ.Selector{{Kind: writ.SelPhone, Value: phoneA}}})
}

// waitDeadLetter waits for the case's one dead letter and returns the list.
func waitDeadLetter(t *testing.T, f *fixture) []*writ.DeadLetter {
	t.Helper()
	var dls []*writ.DeadLetter
	waitFor(t, "a dead letter", func() bool {
		var err error
		dls, err = f.db.ListDeadLetters(f.ctx, []int64{f.c.ID})
		return err == nil && len(dls) == 1
	})
	return dls
}

func TestWebhookRetriesWithBackoff(t *testing.T) {
	h := newHookServer(t, 500, 502)
	f := newFixture(t, lookout.Config{Webhook: lookout.WebhookOptions{Attempts: 4, Backoff: 20 * time.Millisecond, AllowPrivate: true}})
	l := hookLookout(t, f, h.URL)
	if !strings.HasPrefix(l.WebhookSecret, "whsec_") {
		t.Fatalf("Create() gave webhook secret %q, want a whsec_ secret", l.WebhookSecret)
	}
	h.secret.Store(&l.WebhookSecret)
	b := f.batch(writ.DataContacts)
	b.Contacts = []writ.Contact{contact(phoneA, phoneB, t0.Add(time.Minute))}
	f.commit(t, b)
	waitFor(t, "the webhook to succeed", func() bool { _, ok := h.counts(); return ok == 1 })
	tries, _ := h.counts()
	if tries != 3 {
		t.Errorf("webhook tried %d times, want 3 (two failures, then success)", tries)
	}
	if n := h.badSig.Load(); n != 0 {
		t.Errorf("%d webhook requests failed signature verification", n)
	}
	h.mu.Lock()
	gap1, gap2 := h.arrivals[1].Sub(h.arrivals[0]), h.arrivals[2].Sub(h.arrivals[1])
	var body struct {
		Alert   writ.Alert   `json:"alert"`
		Lookout writ.Lookout `json:"lookout"`
	}
	err := json.Unmarshal(h.ok[0], &body)
	h.mu.Unlock()
	if gap1 < 20*time.Millisecond || gap2 < 40*time.Millisecond {
		t.Errorf("gaps between tries %v, %v; want at least 20ms, then 40ms (doubling)", gap1, gap2)
	}
	if err != nil || body.Alert.LookoutID != l.ID || body.Lookout.WebhookSecret != "" {
		t.Errorf("webhook body = %+v, %v; want the alert of lookout %d and no secret", body, err, l.ID)
	}
	// A tampered body does not verify.
	hdr := http.Header{}
	hdr.Set(lookout.HeaderTimestamp, "1700000000")
	hdr.Set(lookout.HeaderSignature, lookout.Sign(l.WebhookSecret, 1700000000, []byte(`{"a":1}`)))
	if lookout.Verify(l.WebhookSecret, hdr, []byte(`{"a":2}`), time.Unix(1700000000, 0), time.Minute) == nil {
		t.Error("Verify() accepted a tampered body")
	}
}

func TestWebhookDeadLetter(t *testing.T) {
	h := newHookServer(t)
	h.fail.Store(true)
	f := newFixture(t, lookout.Config{Webhook: lookout.WebhookOptions{Attempts: 3, Backoff: 5 * time.Millisecond, AllowPrivate: true}})
	l := hookLookout(t, f, h.URL)
	h.secret.Store(&l.WebhookSecret)
	b := f.batch(writ.DataContacts)
	b.Contacts = []writ.Contact{contact(phoneA, phoneB, t0.Add(time.Minute))}
	f.commit(t, b)
	dls := waitDeadLetter(t, f)
	alerts := f.alerts(t, l.ID)
	if d := dls[0]; d.Attempts != 3 || d.LookoutID != l.ID || d.AlertID != alerts[0].ID || !strings.Contains(d.LastError, "503") {
		t.Errorf("dead letter = %+v, want 3 attempts for alert %d ending in 503", d, alerts[0].ID)
	}
	if err := f.svc.RetryDeadLetter(f.ctx, dls[0].ID); writ.ErrorKind(err) != writ.EConflict {
		t.Errorf("RetryDeadLetter() while the receiver is down = %v, want a conflict", err)
	}
	h.fail.Store(false)
	if err := f.svc.RetryDeadLetter(f.ctx, dls[0].ID); err != nil {
		t.Fatalf("RetryDeadLetter() = %v", err)
	}
	if _, ok := h.counts(); ok != 1 {
		t.Errorf("receiver got %d deliveries after the retry, want 1", ok)
	}
	if dls, err := f.db.ListDeadLetters(f.ctx, nil); err != nil || len(dls) != 0 {
		t.Errorf("ListDeadLetters() after a successful retry = %v, %v; want empty", dls, err)
	}
}

// TestSSEDelivery subscribes over HTTP as the in-app view does and checks
// that an alert of the subscriber's case arrives and one of another case
// does not.
func TestSSEDelivery(t *testing.T) {
	f := newFixture(t, lookout.Config{})
	a := f.authority(t, []writ.Category{writ.CatLocation}, []string{"device:dev-1"}, nil, 24*time.Hour)
	l := f.create(t, &writ.Lookout{AuthorityID: a.ID, Kind: writ.LookoutAppears, Selectors: []writ.Selector{{Kind: writ.SelDevice, Value: "dev-1"}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cases := []int64{f.c.ID}
		if r.URL.Query().Get("other") != "" {
			cases = []int64{f.c.ID + 1000}
		}
		sub := f.svc.Hub.Subscribe(cases, 0)
		defer f.svc.Hub.Unsubscribe(sub)
		lookout.SSE(r.Context(), w, sub, nil, time.Second, func() ([]int64, error) { return cases, nil })
	}))
	t.Cleanup(srv.Close) // after the clients below hang up (cleanups run last first)
	events := func(url string) <-chan writ.Alert {
		ch := make(chan writ.Alert, 4)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("Content-Type %q, want text/event-stream", ct)
		}
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					var a writ.Alert
					if json.Unmarshal([]byte(data), &a) == nil && a.ID > 0 {
						ch <- a
					}
				}
			}
		}()
		return ch
	}
	mine, other := events(srv.URL), events(srv.URL+"?other=1")
	waitFor(t, "two subscribers", func() bool { return f.svc.Hub.Len() == 2 })
	b := f.batch(writ.DataPings)
	b.Pings = []writ.Ping{ping("dev-1", t0.Add(time.Minute), lat0, lon0)}
	f.commit(t, b)
	select {
	case got := <-mine:
		if got.LookoutID != l.ID || got.Selector.Value != "dev-1" {
			t.Errorf("SSE alert = %+v, want lookout %d on dev-1", got, l.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no alert arrived over SSE")
	}
	select {
	case got := <-other:
		t.Errorf("a subscriber of another case got alert %+v", got)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestWebhookRefusesPrivateAddresses: by default a webhook is never sent to
// a loopback (or other non-public) address; the alert ends in the
// dead-letter list with the reason, and the receiver sees nothing.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	h := newHookServer(t)
	f := newFixture(t, lookout.Config{Webhook: lookout.WebhookOptions{Attempts: 2, Backoff: 5 * time.Millisecond}})
	l := hookLookout(t, f, h.URL)
	h.secret.Store(&l.WebhookSecret)
	b := f.batch(writ.DataContacts)
	b.Contacts = []writ.Contact{contact(phoneA, phoneB, t0.Add(time.Minute))}
	f.commit(t, b)
	dls := waitDeadLetter(t, f)
	if !strings.Contains(dls[0].LastError, "not a public address") {
		t.Errorf("dead letter = %+v, want the refusal of a non-public address", dls[0])
	}
	if tries, _ := h.counts(); tries != 0 {
		t.Errorf("the loopback receiver got %d requests, want none", tries)
	}
}
