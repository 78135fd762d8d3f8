package mta

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Status is how the MTA's delivery of the message ended.
type Status int

// The statuses. StatusUnknown means the delivery could not be followed to
// its end (the MTA stopped talking, the log ended, the time ran out): it is
// never reported as delivered.
const (
	StatusUnknown   Status = iota
	StatusDelivered        // the remote server accepted the message (2xx after the data)
	StatusDeferred         // the MTA keeps it queued and will try again
	StatusBounced          // the MTA gave up: a delivery status notification goes to the sender
	StatusFrozen           // exim froze the message: nothing happens until an admin acts
)

var statusNames = [...]string{"unknown", "delivered", "deferred", "bounced", "frozen"}

// String names the status: "delivered", "deferred", …
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Final reports whether the status ends the delivery for good.
func (s Status) Final() bool { return s == StatusDelivered || s == StatusBounced }

// Result is what following one message through the MTA learned.
type Result struct {
	Kind    Kind
	Status  Status
	QueueID string // exim's message ID or postfix's queue ID
	// Host and Addr are the remote server of the deciding attempt:
	// "mx.example.net", "[192.0.2.7]:25".
	Host string
	Addr netip.AddrPort
	// Local is the local end of the connection, when the MTA said it.
	Local netip.AddrPort
	// HELO is the name the MTA gave in EHLO/HELO.
	HELO string
	// Stage and Reply are the deciding remote reply, if there was one.
	Stage smtpx.Stage
	Reply smtpc.Reply
	// Reason is the MTA's own words for a deferral, a bounce or a freeze
	// ("retry time not reached for any host", "Mailing to remote domains
	// not supported"); sanitised.
	Reason string
	// RetryAt is when a deferred message will be tried again, when known;
	// RetryNote says how it was found ("exim retry database", "rule
	// F,2h,15m", "postfix minimal_backoff_time").
	RetryAt   time.Time
	RetryNote string
	// TLS is what the MTA reported of the connection's TLS; nil when none.
	TLS *smtpc.TLSInfo
	// Notes are other things the transcript showed that matter: a frozen
	// bounce, a second message.
	Notes []string
}
