package session

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// outcomeJSON is the stable JSON form of an Outcome: lower-case names,
// stages and addresses as strings, no message bytes, never a secret.
type outcomeJSON struct {
	Verdict     smtpx.Outcome        `json:"verdict"`
	Route       string               `json:"route"`
	Server      string               `json:"server,omitempty"`
	RemoteAddr  string               `json:"remote_addr,omitempty"`
	LocalAddr   string               `json:"local_addr,omitempty"`
	HELO        string               `json:"helo"`
	Stage       string               `json:"stage"`
	Code        int                  `json:"code,omitempty"`
	Enhanced    string               `json:"enhanced,omitempty"`
	Reply       []string             `json:"reply"`
	Error       string               `json:"error,omitempty"`
	Desync      bool                 `json:"desync,omitempty"`   // the server sent a reply nobody asked for
	Withheld    bool                 `json:"withheld,omitempty"` // mailcred stopped before AUTH (untrusted TLS)
	Explanation *explain.Explanation `json:"explanation,omitempty"`
	Refused     map[string][]string  `json:"refused,omitempty"`
	TLS         *tlsJSON             `json:"tls,omitempty"`
	Attempts    []attemptJSON        `json:"attempts"`
	DKIM        *dkimJSON            `json:"dkim,omitempty"`
	Bytes       int                  `json:"message_bytes"`
	MTA         *mtaJSON             `json:"mta,omitempty"`
}

// mtaJSON is the local MTA's delivery (--via mta).
type mtaJSON struct {
	Kind      string       `json:"kind"`
	Status    string       `json:"status"`
	QueueID   string       `json:"queue_id,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	RetryAt   string       `json:"retry_at,omitempty"`
	RetryNote string       `json:"retry_note,omitempty"`
	Notes     []string     `json:"notes,omitempty"`
	Failure   *mta.Failure `json:"failure,omitempty"`
}

type tlsJSON struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	ServerName  string `json:"server_name"`
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error,omitempty"`
	Subject     string `json:"subject,omitempty"`
	Issuer      string `json:"issuer,omitempty"`
	NotAfter    string `json:"not_after,omitempty"`
}

type attemptJSON struct {
	Host    string        `json:"host"`
	Addr    string        `json:"addr"`
	Verdict smtpx.Outcome `json:"verdict"`
	Stage   string        `json:"stage"`
	Reply   []string      `json:"reply,omitempty"`
	Error   string        `json:"error,omitempty"`
}

type dkimJSON struct {
	Domain           string          `json:"domain"`
	Selector         string          `json:"selector"`
	Algorithm        string          `json:"algorithm"`
	KeyType          string          `json:"key_type"`
	Bits             int             `json:"bits"`
	Canonicalization string          `json:"canonicalization"`
	Headers          []string        `json:"headers"`
	BodyHash         string          `json:"body_hash"`
	Offline          string          `json:"offline"`
	Published        []publishedJSON `json:"published"`
}

type publishedJSON struct {
	Domain      string `json:"domain"`
	Selector    string `json:"selector"`
	Status      string `json:"status"`
	Failure     string `json:"failure,omitempty"`
	Explanation string `json:"explanation"`
}

// MarshalJSON writes the outcome for `mailcred send --format json`.
func (o *Outcome) MarshalJSON() ([]byte, error) {
	j := outcomeJSON{
		Verdict: o.Verdict, Route: o.Facts.Route, Server: o.Server, RemoteAddr: o.Facts.Addr,
		HELO: o.HELO, Stage: o.StageName(), Code: o.Reply.Code, Enhanced: o.Reply.Enhanced,
		Reply: nonNil(o.Reply.Lines), Error: o.Err, Desync: o.Desync, Withheld: o.Withheld, Explanation: o.Explanation,
		Attempts: []attemptJSON{}, Bytes: len(o.Message),
	}
	if o.LocalAddr.IsValid() {
		j.LocalAddr = o.LocalAddr.String()
	}
	for _, a := range o.Attempts {
		j.Attempts = append(j.Attempts, attemptJSON{Host: a.Host, Addr: a.Addr, Verdict: a.Verdict,
			Stage: a.Stage.String(), Reply: a.Reply.Lines, Error: a.Err})
	}
	if d := o.Delivery; d != nil {
		if len(d.Refused) > 0 {
			j.Refused = map[string][]string{}
			for rcpt, re := range d.Refused {
				j.Refused[rcpt] = re.Reply.Lines
			}
		}
		if d.TLS != nil {
			j.TLS = tlsView(d.TLS)
		}
	}
	if o.SignInfo != nil {
		j.DKIM = dkimView(o.SignInfo, o.OfflineDKIM, o.PublishedDKIM)
	}
	if m := o.MTA; m != nil {
		j.MTA = &mtaJSON{Kind: string(m.Kind), Status: m.Status.String(), QueueID: m.QueueID, Reason: m.Reason,
			RetryNote: m.RetryNote, Notes: m.Notes, Failure: o.MTAFailure}
		if !m.RetryAt.IsZero() {
			j.MTA.RetryAt = m.RetryAt.UTC().Format(time.RFC3339)
		}
	}
	return json.Marshal(j)
}

func tlsView(t *smtpc.TLSInfo) *tlsJSON {
	v := &tlsJSON{Version: t.Version, CipherSuite: t.CipherSuite, ServerName: t.ServerName,
		Verified: t.Verified, VerifyError: t.VerifyError}
	if len(t.Chain) > 0 {
		v.Subject, v.Issuer = t.Chain[0].Subject, t.Chain[0].Issuer
		v.NotAfter = t.Chain[0].NotAfter.UTC().Format(time.RFC3339)
	}
	return v
}

func dkimView(i *sign.Info, offline, published []dkim.SignatureResult) *dkimJSON {
	v := &dkimJSON{Domain: i.Domain, Selector: i.Selector, Algorithm: i.Algorithm, KeyType: i.KeyType,
		Bits: i.Bits, Canonicalization: i.Canonicalization, Headers: nonNil(i.Headers), BodyHash: i.BodyHash,
		Offline: offlineStatus(offline), Published: []publishedJSON{}}
	for _, r := range published {
		v.Published = append(v.Published, publishedJSON{Domain: r.Domain, Selector: r.Selector,
			Status: string(r.Status), Failure: string(r.Failure), Explanation: r.Explain()})
	}
	return v
}

// offlineStatus is the verdict of the offline verification: pass when a
// signature verified against the key, else the first one's status.
func offlineStatus(results []dkim.SignatureResult) string {
	if len(results) == 0 {
		return "none"
	}
	if dkim.Verified(results) == nil {
		return string(dkim.Pass)
	}
	return string(results[0].Status)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// EventJSON is the JSON form of one transcript event.
type EventJSON struct {
	At       float64  `json:"at"` // seconds since the send began
	Kind     string   `json:"kind"`
	Source   string   `json:"source"` // who wrote the lines: wire, mailcred, exim, postfix, sendmail, demo world
	Secure   bool     `json:"secure"`
	Lines    []string `json:"lines"`
	Code     int      `json:"code,omitempty"`
	Enhanced string   `json:"enhanced,omitempty"`
	Error    string   `json:"error,omitempty"`
	TLS      *tlsJSON `json:"tls,omitempty"`
}

// TranscriptJSON converts events to their JSON form.
func TranscriptJSON(events []Event) []EventJSON {
	out := make([]EventJSON, 0, len(events))
	for _, e := range events {
		j := EventJSON{At: e.At.Seconds(), Kind: e.Kind.String(), Source: e.Source.String(), Secure: e.Secure, Lines: nonNil(e.Lines),
			Code: e.Code, Enhanced: e.Enhanced, Error: e.Err}
		if e.TLS != nil {
			j.TLS = tlsView(e.TLS)
		}
		out = append(out, j)
	}
	return out
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
