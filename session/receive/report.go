package receive

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Report is what the server concluded about one message. Every text that
// came from the client (HELO, envelope, notes quoting them) is already
// passed through safetext; check titles and details are not, and are
// sanitised where printed, as everywhere in mailcred.
//
// Its JSON has the shape of `mailcred score` — score, max, incomplete,
// checks, queries, authentication_results — plus the envelope.
type Report struct {
	Received time.Time `json:"received"`
	Peer     string    `json:"peer"`      // the client's IP:port; its IP is the connecting IP the checks judge
	HELO     string    `json:"helo"`      // the EHLO/HELO name
	MailFrom string    `json:"mail_from"` // the reverse-path; "" for the null sender (a bounce)
	Rcpts    []string  `json:"rcpts"`
	Size     int       `json:"size"`          // octets of the message as received (dot-unstuffed)
	TLS      string    `json:"tls,omitempty"` // "TLS 1.3 TLS_AES_128_GCM_SHA256"; empty in plaintext
	Domain   string    `json:"domain"`        // the From domain (the DMARC Author Domain); empty when none

	scoring.Score                          // score, max, incomplete
	Results               []scoring.Result `json:"checks"`
	AuthenticationResults string           `json:"authentication_results"` // the field's value, RFC 8601
	Notes                 []string         `json:"notes,omitempty"`
	Queries               []dnsx.Query     `json:"queries"`
}

// Failed reports whether some check failed.
func (r Report) Failed() bool {
	for _, res := range r.Results {
		if res.Status == scoring.Fail {
			return true
		}
	}
	return false
}

// maxReplyText bounds the end-of-data reply text: RFC 5321 §4.5.3.1.5
// allows 512 octets for the whole reply line.
const maxReplyText = 400

// ReplyText is the text of the 250 reply to the end of data: the score,
// then the ids of the checks that failed, warned or could not run, so a
// person using swaks or sendmail -v sees the verdict at once.
func (r Report) ReplyText() string {
	text := fmt.Sprintf("scored %.1f/%g, thank you", r.Value, r.Max)
	if r.Incomplete { // something could not be checked: an upper bound
		text = fmt.Sprintf("scored at most %.1f/%g, thank you", r.Value, r.Max)
	}
	var groups []string
	for _, st := range []scoring.Status{scoring.Fail, scoring.Warn, scoring.Error} {
		var ids []string
		for _, res := range r.Results {
			if res.Status == st {
				ids = append(ids, res.ID)
			}
		}
		if len(ids) == 0 {
			continue
		}
		name := st.String()
		if st == scoring.Error {
			name = "not checked"
		}
		groups = append(groups, name+": "+strings.Join(ids, " "))
	}
	if len(groups) > 0 {
		text += " (" + strings.Join(groups, "; ") + ")"
	}
	if len(text) > maxReplyText {
		text = text[:maxReplyText-3] + "..."
	}
	return text
}
