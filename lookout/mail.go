package lookout

import (
	"bytes"
	"fmt"
	"mime"
	"net/smtp"
	"sort"
	"strings"
	"time"

	"github.com/writhq/writ"
)

// Mailer sends alerts over SMTP (net/smtp: STARTTLS when the server offers
// it, AUTH when Auth is set).
type Mailer struct {
	Addr string // host:port of the SMTP server
	From string
	Auth smtp.Auth // nil: no authentication
}

type mailJob struct {
	l *writ.Lookout
	a *writ.Alert
}

func (s *Service) mailLoop() {
	defer s.wg.Done()
	for j := range s.mailq {
		if err := s.cfg.Mail.Send(j.l, j.a); err != nil {
			s.log.Warn("alert e-mail failed", "err", err, "alert", j.a.ID, "lookout", j.l.ID)
		}
	}
}

// Send mails one alert to the lookout's addresses.
func (m *Mailer) Send(l *writ.Lookout, a *writ.Alert) error {
	return smtp.SendMail(m.Addr, m.Auth, m.From, l.Email, m.message(l, a))
}

// message is the alert as an RFC 5322 message. It carries the summary and
// the event's unprotected details; the in-app view has the rest.
func (m *Mailer) message(l *writ.Lookout, a *writ.Alert) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", m.From)
	hdr("To", strings.Join(l.Email, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", fmt.Sprintf("[writ] lookout %q: %s", l.Name, a.Summary)))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<alert-%d-lookout-%d@writ>", a.ID, l.ID))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("X-Writ-Alert", fmt.Sprint(a.ID))
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "Lookout %d %q (case %d, authority %d) fired.\r\n\r\n%s\r\n\r\n", l.ID, l.Name, l.CaseID, l.AuthorityID, a.Summary)
	fmt.Fprintf(&b, "event: %s at %s\r\n", a.EventKind, a.EventAt.Format(time.RFC3339))
	keys := make([]string, 0, len(a.Detail))
	for k := range a.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\r\n", k, strings.ReplaceAll(a.Detail[k], "\n", " "))
	}
	fmt.Fprintf(&b, "\r\nAlert %d. This alert is in the case's audit log.\r\n", a.ID)
	return b.Bytes()
}
