package session

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Send runs a whole send: validate the plan (every problem at once, as a
// *PlanError, before anything connects), render the message, DKIM-sign it
// and verify the signature offline against the key (a failure stops the
// send) and against the published record (reported only), then deliver
// it: to the MX hosts in preference order, each address in turn, until
// one accepts or refuses for good (RFC 5321 §5.1); to the --via host; or
// through sendmail. events, which may be nil, receives the transcript as
// it happens.
//
// Send returns an error, and no Outcome, only when nothing was sent: an
// invalid plan, a message that cannot be signed, no server to connect to.
// Once a connection is attempted, whatever the server says (or fails to
// say) is in the Outcome. plan is taken by value and never changed.
func Send(ctx context.Context, plan Plan, r *dnsx.Resolver, events func(Event)) (*Outcome, error) {
	if errs := plan.Validate(); len(errs) > 0 {
		return nil, &PlanError{Problems: errs}
	}
	kb := plan.Explainer
	if kb == nil {
		var err error
		if kb, err = explain.Load(); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
	}
	t := &transcript{start: time.Now(), sink: events}
	o := &Outcome{HELO: plan.helo()}
	msg, err := plan.Message.Render(time.Now(), plan.domain())
	if err != nil {
		return nil, fmt.Errorf("send: rendering the message: %w", err)
	}
	if plan.DKIM != nil {
		if msg, err = signMessage(ctx, plan, r, msg, t, o); err != nil {
			return nil, err
		}
	}
	o.Message = msg
	dest, err := plan.Describe(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	switch plan.Route.Kind {
	case ViaSendmail:
		runSendmail(ctx, dest, msg, t, o)
	case ViaMTA:
		runMTA(ctx, plan, dest, msg, kb, t, o)
	default:
		deliver(ctx, plan, dest, msg, kb, t, o)
	}
	o.Transcript = t.all()
	return o, nil
}

// signMessage signs msg, checks the signature against the key itself (a
// failure is fatal: a broken signature must not be sent) and against the
// record DNS publishes (reported only: the record may be on its way).
func signMessage(ctx context.Context, plan Plan, r *dnsx.Resolver, msg []byte, t *transcript, o *Outcome) ([]byte, error) {
	opts := *plan.DKIM
	signed, info, err := sign.Sign(msg, opts)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	name := dkim.RecordName(info.Selector, info.Domain)
	t.info("signing with %s %s %d bits", name, info.Algorithm, info.Bits)
	t.info("c=%s h=%s", info.Canonicalization, joinColon(info.Headers))
	// The one offline verification of this send: its per-signature result
	// is kept in the outcome for the DKIM pane and the JSON.
	offline, err := dkim.VerifyWithKey(signed, opts.Key)
	if err == nil {
		err = dkim.Verified(offline)
	}
	if err != nil {
		return nil, fmt.Errorf("send: the signature just made does not verify against the private key, so nothing was sent: %w", err)
	}
	t.info("signature verifies against the private key")
	o.SignInfo, o.OfflineDKIM = info, offline
	if r == nil {
		t.info("published key %s not checked: no resolver", name)
		return signed, nil
	}
	results, err := dkim.VerifyPublished(ctx, signed, r)
	if err != nil {
		t.info("published key %s not checked: %v", name, err)
		return signed, nil
	}
	o.PublishedDKIM = results
	for _, res := range results {
		if res.Status == dkim.Pass {
			t.info("published key %s: pass", dkim.RecordName(res.Selector, res.Domain))
			continue
		}
		t.info("published key %s: %s: %s", dkim.RecordName(res.Selector, res.Domain), res.Status, res.Explain())
	}
	return signed, nil
}

// deliver tries the destination's hosts and addresses in order.
func deliver(ctx context.Context, plan Plan, dest *Destination, msg []byte, kb *explain.KB, t *transcript, o *Outcome) {
	env := smtpc.Envelope{From: dest.EnvelopeFrom, To: dest.Recipients, Auth: plan.Auth}
	var best *attempt
	n := 0
hosts:
	for _, h := range dest.Hosts {
		if len(h.Addrs) == 0 {
			t.info("skipping %s: %s", h.Name, h.Problem)
			continue
		}
		for _, addr := range h.Addrs {
			if n == maxAttempts {
				t.info("giving up after %d attempts", maxAttempts)
				break hosts
			}
			n++
			a := tryOne(ctx, plan, h, addr, env, msg, t)
			o.Attempts = append(o.Attempts, a.Attempt)
			if best == nil || a.rank() >= best.rank() {
				best = a
			}
			if next := a.moveOn(ctx, plan.Route.Kind); next == "" {
				break hosts
			} else {
				t.info("%s", next)
			}
		}
	}
	if best == nil {
		o.Verdict, o.Err = smtpx.Failed, "no address was tried"
		o.facts(plan.Route, tlsNote{})
		return
	}
	o.Verdict, o.Stage, o.Reply, o.Err = best.Verdict, best.Stage, best.Reply, best.Err
	o.Desync, o.Withheld = best.Desync, best.Withheld
	o.Server, o.Delivery, o.LocalAddr = best.Host, best.delivery, best.Local
	o.Explanation = explainReply(kb, best.Reply, best.Stage)
	if o.Verdict == smtpx.Accepted {
		for _, rcpt := range sortedKeys(best.delivery.Refused) {
			t.info("recipient %s refused: %s", rcpt, joinSpace(best.delivery.Refused[rcpt].Reply.Lines))
		}
	}
	o.facts(plan.Route, best.tls)
}

// runSendmail hands the message to the local MTA. Exit status 75
// (EX_TEMPFAIL) is a deferral; any other failure is an error.
func runSendmail(ctx context.Context, dest *Destination, msg []byte, t *transcript, o *Outcome) {
	err := smtpc.RunSendmail(ctx, dest.Sendmail, dest.SendmailArgs, msg, t.emit)
	o.Server, o.Stage = dest.Sendmail, smtpx.EndOfData
	var ee *exec.ExitError
	switch {
	case err == nil:
		o.Verdict = smtpx.Accepted
	case errors.As(err, &ee) && ee.ExitCode() == 75:
		o.Verdict, o.Err = smtpx.Deferred, err.Error()
	default:
		o.Verdict, o.Err = smtpx.Failed, err.Error()
	}
	o.facts(Route{Kind: ViaSendmail}, tlsNote{})
}

// runMTA hands the message to the local MTA and follows its delivery to
// the end. The verdict is the MTA's, never "accepted" for a message the
// MTA only queued: delivered is accepted (by the remote server), deferred
// is deferred, bounced is rejected, frozen is frozen, and a delivery that
// could not be followed to its end is an error.
func runMTA(ctx context.Context, plan Plan, dest *Destination, msg []byte, kb *explain.KB, t *transcript, o *Outcome) {
	opts := plan.MTA
	opts.Command, opts.Events = dest.MTA, t.emit
	res, err := mta.Deliver(ctx, opts, dest.EnvelopeFrom, dest.Recipients, msg)
	o.MTA = &res
	o.Server, o.Stage, o.Reply = res.Host, res.Stage, res.Reply
	if res.HELO != "" {
		o.HELO = res.HELO
	}
	if res.Local.IsValid() {
		o.LocalAddr = res.Local
	}
	switch {
	case err != nil:
		o.Verdict, o.Err = smtpx.Failed, err.Error()
	case res.Status == mta.StatusDelivered:
		o.Verdict = smtpx.Accepted
	case res.Status == mta.StatusDeferred:
		o.Verdict, o.Err = smtpx.Deferred, res.Reason
	case res.Status == mta.StatusBounced:
		o.Verdict, o.Err = smtpx.Rejected, res.Reason
	case res.Status == mta.StatusFrozen:
		o.Verdict, o.Err = smtpx.Frozen, "exim froze the message: "+res.Reason
	default:
		o.Verdict, o.Err = smtpx.Failed, "the MTA's delivery could not be followed to its end"
	}
	if res.Reply.Code != 0 {
		o.Explanation = explainReply(kb, res.Reply, res.Stage)
	}
	if failures, ferr := mta.LoadFailures(); ferr == nil {
		o.MTAFailure = failures.Explain(res)
	}
	o.facts(plan.Route, tlsNote{})
	if f := o.MTAFailure; f != nil && o.Explanation == nil {
		o.Facts.Meaning, o.Facts.Fix = f.Meaning, f.Fix
		o.Facts.Related = append([]string(nil), f.Checks...)
	}
	if res.Addr.IsValid() {
		o.Facts.Addr = res.Addr.String()
	}
	if tls := res.TLS; tls != nil {
		o.Facts.TLS, o.Facts.StartTLSOffered = true, true
		o.Facts.TLSVersion, o.Facts.CipherSuite = tls.Version, tls.CipherSuite
		o.Facts.CertVerified, o.Facts.CertError = tls.Verified, tls.VerifyError
	}
}

// transcript stamps events with the time since the send began, keeps
// them, and passes them on in order.
type transcript struct {
	start time.Time
	sink  func(Event)

	mu       sync.Mutex
	events   []Event
	observer func(Event) // the current attempt's
}

func (t *transcript) emit(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.At = time.Since(t.start)
	t.events = append(t.events, e)
	if t.observer != nil {
		t.observer(e)
	}
	if t.sink != nil {
		t.sink(e)
	}
}

func (t *transcript) info(format string, args ...any) {
	t.emit(Event{Kind: smtpc.KindInfo, Source: smtpc.FromClient, Lines: []string{fmt.Sprintf(format, args...)}})
}

func (t *transcript) observe(f func(Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.observer = f
}

func (t *transcript) all() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}
