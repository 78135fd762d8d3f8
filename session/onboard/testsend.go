package onboard

import (
	"context"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/mta"
)

// TestResult is the closed loop's verdict on a test send.
type TestResult struct {
	Passed bool
	Lines  []string
	At     time.Time
}

func testSendStep(cfg Config) Step {
	s := Step{ID: StepTestSend, Title: "Test send through the MTA (closed loop)", Status: Todo}
	if !cfg.MTA.Command.Kind.Driven() {
		s.Status = Unknown
		s.State = append(s.State, "no exim or postfix to send through (--mta-command)")
		return s
	}
	if t := cfg.LastTest; t != nil {
		s.State = append(s.State, t.Lines...)
		if t.Passed {
			s.Status = Done
		}
	} else {
		s.State = append(s.State, "not sent yet")
	}
	if cfg.From == "" || !cfg.Capture.IsValid() {
		s.Do = append(s.Do, "Give --from (and the capture address) to send a test message.")
		return s
	}
	s.Action = testSendAction(cfg)
	return s
}

// testSendAction adds the capture router (once, with a backup) and sends
// a test message through the MTA to the capture.
func testSendAction(cfg Config) *Action {
	a := &Action{Title: "Send a test message through " + string(cfg.MTA.Command.Kind) + " to the capture"}
	var preview []string
	var newText string
	if cfg.MTA.Command.Kind == mta.Exim && cfg.EximConfig != "" {
		b, err := os.ReadFile(cfg.EximConfig)
		if err == nil {
			nt, err := eximCaptureEdit(cfg.EximConfig, string(b), cfg.Capture)
			switch {
			case err != nil:
				preview = append(preview, "cannot add the capture router: "+err.Error())
			case nt != string(b):
				newText = nt
				preview = append(preview, "First, once, the capture router goes in front of the others (mail to "+mta.CaptureDomain+" only):",
					insertionDiff(cfg.EximConfig, b, []byte(nt)))
			}
		}
	}
	if cfg.MTA.Command.Kind == mta.Postfix {
		preview = append(preview, "Postfix needs this line in its transport map (postmap, postfix reload) first:", "  "+strings.TrimSpace(mta.PostfixCaptureTransport(cfg.Capture)))
	}
	preview = append(preview, fmt.Sprintf("Then: a test message from %s to check@%s goes to %s (%s), unsigned: the MTA signs it. mailcred listens on %s, receives it, and verifies the signature against DNS, the HELO and the source address.",
		cfg.From, mta.CaptureDomain, cfg.MTA.Command.Kind, cfg.MTA.Command, cfg.Capture))
	a.Preview = strings.Join(preview, "\n")
	a.apply = func() (Applied, error) {
		var out Applied
		if newText != "" {
			c, err := writeFile(cfg.EximConfig, []byte(newText), 0o644, cfg.now())
			if err != nil {
				return out, err
			}
			out.Changes = append(out.Changes, c)
		}
		res := RunTestSend(context.Background(), cfg)
		out.Lines = res.Lines
		if !res.Passed {
			return out, fmt.Errorf("the test send did not pass")
		}
		return out, nil
	}
	return a
}

// RunTestSend sends through the MTA to the capture and judges what
// arrived: delivered, signed by the sending domain (aligned with From),
// the signature verifying against DNS.
func RunTestSend(ctx context.Context, cfg Config) TestResult {
	res := TestResult{At: cfg.now()}
	say := func(format string, args ...any) { res.Lines = append(res.Lines, fmt.Sprintf(format, args...)) }
	capture, err := mta.StartCapture(cfg.Capture.String())
	if err != nil {
		say("capture: %v", err)
		return res
	}
	defer capture.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	plan := session.Plan{
		Message: compose.Message{From: mail.Address{Address: cfg.From}, To: []mail.Address{{Address: "check@" + mta.CaptureDomain}},
			Subject: "mailcred onboarding test", Body: "A test message sent through the MTA by mailcred onboard.\n"},
		Route: session.Route{Kind: session.ViaMTA, MTA: cfg.MTA.Command},
		MTA:   cfg.MTA,
	}
	plan.MTA.Command, plan.MTA.Events = mta.Command{}, nil
	o, err := session.Send(ctx, plan, cfg.Resolver, nil)
	if err != nil {
		say("not sent: %v", err)
		return res
	}
	status := "unknown"
	if o.MTA != nil {
		status = o.MTA.Status.String()
	}
	say("%s: %s (%s)", cfg.MTA.Command.Kind, status, strings.Join(o.Reply.Lines, " "))
	if o.Verdict != smtpx.Accepted {
		if o.Err != "" {
			say("why: %s", o.Err)
		}
		if f := o.MTAFailure; f != nil {
			say("fix: %s", f.Fix)
		}
		return res
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	got, err := capture.Wait(wctx)
	if err != nil {
		say("%v", err)
		return res
	}
	obs := mta.Observe(ctx, o.Message, got, cfg.Resolver)
	say("HELO %s from %s (%s)", obs.HELO, obs.Source.Addr(), obs.Family)
	say("headers added: %s", strings.Join(obs.Added, ", "))
	aligned := false
	for _, sig := range obs.Signatures {
		verdict := string(sig.Status)
		if sig.Reason != "" {
			verdict += ": " + sig.Reason
		}
		say("DKIM d=%s s=%s a=%s: %s", sig.Domain, sig.Selector, sig.Algorithm, verdict)
		if sig.Status == dkim.Pass && alignedWith(sig.Domain, cfg.Domain) {
			aligned = true
		}
	}
	if obs.SignErr != "" {
		say("DKIM: %s", obs.SignErr)
	}
	res.Passed = aligned
	if aligned {
		say("passed: signed by the MTA, aligned with %s, verified against DNS", cfg.Domain)
	} else {
		say("not passed: no signature that verifies and is aligned with %s", cfg.Domain)
	}
	return res
}

// alignedWith is relaxed DMARC alignment without the PSL: the same domain
// or one a subdomain of the other.
func alignedWith(d, domain string) bool {
	d, domain = strings.ToLower(d), strings.ToLower(domain)
	return d == domain || strings.HasSuffix(d, "."+domain) || strings.HasSuffix(domain, "."+d)
}
