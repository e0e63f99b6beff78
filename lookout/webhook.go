package lookout

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/writhq/writ"
)

// WebhookOptions tune webhook delivery.
type WebhookOptions struct {
	Client *http.Client // nil: a client with a 10 s timeout that calls public addresses only
	// AllowPrivate lets the default client call loopback, private,
	// link-local and other non-public addresses. Off by default: whoever
	// creates a lookout chooses its URL, and must not be able to make the
	// server call services on its own network.
	AllowPrivate bool
	Attempts     int           // tries before the dead-letter list; default 6
	Backoff      time.Duration // wait before the second try, doubled each time; default 1 s
	MaxWait      time.Duration // longest wait between tries; default 5 min
}

// Signature headers: the body is signed with HMAC-SHA256 under the
// lookout's webhook secret, over "<timestamp>.<body>", so a receiver can
// refuse replays older than it tolerates.
const (
	HeaderTimestamp = "Writ-Timestamp"
	HeaderSignature = "Writ-Signature" // "v1=<hex>"
	HeaderAlert     = "Writ-Alert"
)

// Sign returns the signature header value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(h, "%d.", ts)
	h.Write(body)
	return "v1=" + hex.EncodeToString(h.Sum(nil))
}

// Verify checks a webhook request's signature and that its timestamp is
// within tolerance of now; receivers written in Go can use it.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: bad %s header", HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp outside the tolerance")
	}
	if !hmac.Equal([]byte(header.Get(HeaderSignature)), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("webhook: signature does not match")
	}
	return nil
}

// webhooks delivers alerts with retries; each delivery runs in its own
// goroutine and ends in success or the dead-letter list.
type webhooks struct {
	s   *Service
	opt WebhookOptions
	wg  sync.WaitGroup
}

func newWebhooks(s *Service, opt WebhookOptions) *webhooks {
	if opt.Client == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		if !opt.AllowPrivate {
			d.Control = publicOnly
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil // a proxy would dial on the lookout's behalf, past the check
		t.DialContext = d.DialContext
		opt.Client = &http.Client{Timeout: 10 * time.Second, Transport: t}
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 6
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 5 * time.Minute
	}
	return &webhooks{s: s, opt: opt}
}

// publicOnly refuses, at connect time (after DNS, so a name that resolves
// to an internal address is refused too), any address that is not public.
func publicOnly(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhook: cannot parse address %q", host)
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified() || ip.IsInterfaceLocalMulticast() || cgnat.Contains(ip) {
		return fmt.Errorf("webhook: %s is not a public address (WRIT_WEBHOOK_ALLOW_PRIVATE=1 allows it)", ip)
	}
	return nil
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598), not
// covered by IsPrivate.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func (w *webhooks) wait() { w.wg.Wait() }

func (w *webhooks) enqueue(l *writ.Lookout, a *writ.Alert) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		attempts, err := w.deliver(l, a, w.opt.Attempts)
		if err == nil {
			return
		}
		d := &writ.DeadLetter{AlertID: a.ID, LookoutID: l.ID, CaseID: l.CaseID, URL: l.WebhookURL,
			Attempts: attempts, LastError: err.Error()}
		ctx := context.Background()
		if derr := w.s.store.InsertDeadLetter(ctx, d); derr != nil {
			w.s.log.Error("webhook dead letter not stored", "err", derr, "alert", a.ID)
			return
		}
		w.s.log.Warn("webhook failed every try; dead-lettered", "alert", a.ID, "lookout", l.ID, "attempts", attempts, "err", err)
	}()
}

// deliver POSTs a to the lookout's webhook up to attempts times, waiting
// Backoff, 2×Backoff, ... (at most MaxWait) between tries. It returns the
// number of tries made and the last error.
func (w *webhooks) deliver(l *writ.Lookout, a *writ.Alert, attempts int) (int, error) {
	body, err := json.Marshal(struct {
		Lookout *writ.Lookout `json:"lookout"`
		Alert   *writ.Alert   `json:"alert"`
	}{publicLookout(l), a})
	if err != nil {
		return 0, err
	}
	wait := w.opt.Backoff
	for i := 1; ; i++ {
		err = w.post(l, a, body)
		if err == nil || i >= attempts {
			return i, err
		}
		select {
		case <-time.After(wait):
		case <-w.s.closed:
			return i, fmt.Errorf("shut down before retrying: %w", err)
		}
		wait = min(2*wait, w.opt.MaxWait)
	}
}

func (w *webhooks) post(l *writ.Lookout, a *writ.Alert, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, l.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "writ-lookout")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(l.WebhookSecret, ts, body))
	req.Header.Set(HeaderAlert, strconv.FormatInt(a.ID, 10))
	resp, err := w.opt.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// publicLookout is l without its webhook secret.
func publicLookout(l *writ.Lookout) *writ.Lookout {
	c := *l
	c.WebhookSecret = ""
	return &c
}

// RetryDeadLetter tries a dead-lettered delivery once more, now; on success
// it is removed from the list. The gate must still allow the lookout.
func (s *Service) RetryDeadLetter(ctx context.Context, id int64) error {
	d, err := s.store.DeadLetterByID(ctx, id)
	if err != nil {
		return err
	}
	l, err := s.store.LookoutByID(ctx, d.LookoutID)
	if err != nil {
		return err
	}
	a, err := s.store.AlertByID(ctx, d.AlertID)
	if err != nil {
		return err
	}
	if err := s.allows(ctx, l, a.EventAt, a.EventAt.Add(time.Microsecond), s.now()); err != nil {
		return err
	}
	if _, err := s.hooks.deliver(l, a, 1); err != nil {
		return writ.Errorf(writ.EConflict, "the webhook still fails: %v", err)
	}
	return s.store.DeleteDeadLetter(ctx, id)
}
