package transport

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// runResponse classifies the server's final answer (RFC 5321 §4.2.1:
// 2yz accepted, 4yz try later, 5yz refused) and carries its explanation:
// what it means, what the stage it came at rules out, and the fix.
func runResponse(_ context.Context, env *scoring.Env) scoring.Result {
	f := env.Evidence.SMTP
	if f.Route == routeSendmail {
		return sendmailResponse(f)
	}
	switch f.Outcome {
	case smtpx.Accepted:
		return scoring.Result{Status: scoring.Pass,
			Title: fmt.Sprintf("Accepted by %s: %s", server(f), short(headline(f.Reply))),
			Detail: join(replyDetail(f),
				"Accepted means the server took the message; whether it reaches the inbox is decided afterwards by its "+
					"filters, which judge what the other checks judge.")}
	case smtpx.Deferred, smtpx.Rejected:
		return refused(f)
	}
	if f.Desync {
		return scoring.Result{Status: scoring.Fail,
			Title: "Server out of sync at " + orConnect(f.Stage) + ": " + server(f) + " sent a reply nobody asked for",
			Detail: safetext.Line(f.Err, 2000) + "\nSMTP is one reply per command, in order (RFC 5321 §4.2); after an extra " +
				"reply every answer belongs to another command, so a 250 could be anything. mailcred stopped there: nothing " +
				"this server said about the message can be taken as acceptance.",
			Fix: &scoring.Fix{Summary: "If the server is yours, look for a filter or proxy in front of it that writes its own " +
				"replies (a milter, an SMTP proxy, a load balancer health check); otherwise report it to its operator."}}
	}
	if f.Withheld {
		return scoring.Result{Status: scoring.Error,
			Title:  "Not sent: the password was withheld from " + server(f) + " (at " + orConnect(f.Stage) + ")",
			Detail: safetext.Line(f.Err, 2000) + "\nThe password goes only over TLS whose certificate verified for the server's name: a server that cannot prove who it is may be an impostor collecting it.",
			Fix: &scoring.Fix{Summary: "Give the server a certificate valid for the name you connect to (e.g. Let's Encrypt), or pass " +
				"your private CA with --tls-ca; if you accept the risk, --auth-unverified-tls sends the password anyway."}}
	}
	why := f.Err
	if why == "" {
		why = "the session ended without an answer"
	}
	return scoring.Result{Status: scoring.Error,
		Title:  "No answer from " + server(f) + " (at " + orConnect(f.Stage) + ")",
		Detail: safetext.Line(why, 2000) + "\nWithout a reply there is nothing to judge; an MTA would retry later (RFC 5321 §4.5.4.1).",
		Fix: &scoring.Fix{Summary: "Check that the server is reachable from this host on that port (outbound port 25 is " +
			"blocked by many cloud and home providers), then send again."}}
}

// refused is the result for a 4yz or 5yz answer.
func refused(f *scoring.SMTPFacts) scoring.Result {
	status, verb := scoring.Fail, "Rejected"
	if f.Outcome == smtpx.Deferred {
		status, verb = scoring.Warn, "Deferred"
	}
	who := server(f)
	if f.Provider != "" && f.Provider != "generic" {
		who += ", " + f.Provider
	}
	lines := replyDetail(f)
	if f.Meaning != "" {
		lines = join(lines, "Meaning: "+f.Meaning)
	}
	if f.RulesOut != "" {
		lines = join(lines, f.RulesOut)
	}
	if len(f.Related) > 0 {
		lines = join(lines, "Related checks: "+strings.Join(f.Related, ", "))
	}
	res := scoring.Result{Status: status,
		Title:  fmt.Sprintf("%s at %s by %s: %s", verb, f.Stage, who, short(headline(f.Reply))),
		Detail: lines}
	if f.Fix != "" || f.Link != "" {
		res.Fix = &scoring.Fix{Summary: f.Fix, Link: f.Link}
	} else {
		res.Fix = &scoring.Fix{Summary: "Read the server's own words in the reply above; a 4yz answer is temporary and an MTA retries it, a 5yz answer is final."}
	}
	return res
}

// sendmailResponse judges a hand-over to the local MTA: its exit status,
// not a remote answer.
func sendmailResponse(f *scoring.SMTPFacts) scoring.Result {
	switch f.Outcome {
	case smtpx.Accepted:
		return scoring.Result{Status: scoring.Pass,
			Title: "Handed to the local MTA (sendmail exited 0)",
			Detail: "The local MTA queued the message; its own delivery, and the remote answer, are in its -v output in " +
				"the transcript and in its log (exim: /var/log/exim4/mainlog; postfix: journalctl -u postfix)."}
	case smtpx.Deferred:
		return scoring.Result{Status: scoring.Warn, Title: "The local MTA deferred the message (sendmail exit 75, EX_TEMPFAIL)",
			Detail: safetext.Line(f.Err, 2000),
			Fix:    &scoring.Fix{Summary: "See the MTA's log for the remote answer; exim: exim -Mvl MESSAGE-ID, or exim -bp for the queue."}}
	}
	return scoring.Result{Status: scoring.Error, Title: "sendmail failed: " + short(f.Err),
		Detail: safetext.Line(f.Err, 2000),
		Fix:    &scoring.Fix{Summary: "Check that an MTA is installed and running (exim4 or postfix), and its log."}}
}

// replyDetail lists the reply's lines.
func replyDetail(f *scoring.SMTPFacts) string {
	if len(f.Reply) == 0 {
		return ""
	}
	lines := make([]string, len(f.Reply))
	for i, l := range f.Reply {
		lines[i] = "  " + safetext.Line(l, 1000)
	}
	return "Reply at " + orConnect(f.Stage) + ":\n" + strings.Join(lines, "\n")
}

// headline is the reply's first line, for a title.
func headline(lines []string) string {
	if len(lines) == 0 {
		return "(no reply)"
	}
	return safetext.Line(lines[0], 200)
}

// join joins non-empty paragraphs with a line break.
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n")
}
