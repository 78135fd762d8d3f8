package receiver

import (
	"strings"

	"github.com/mailcred/mailcred/scoring"
)

// Check ids of the catalogue (README.md, "Checks and the score"); JSON and tests use them.
const (
	CheckSignature = "dkim.signature"
	CheckAlignment = "dmarc.alignment"
)

// Checks returns dkim.signature (the message carries a DKIM signature that
// verifies against the published key, with From signed) and
// dmarc.alignment (SPF or DKIM passes aligned with the From domain). Both
// apply when Evidence.Message holds a message; see the package comment for
// the evidence they read.
func Checks() []scoring.Check {
	return []scoring.Check{
		{ID: CheckSignature, Title: "DKIM signature of the message", Applies: hasMessage, Run: runSignature},
		{ID: CheckAlignment, Title: "DMARC alignment of the message", Applies: hasMessage, Run: runAlignment},
	}
}

func hasMessage(ev scoring.Evidence) bool { return len(ev.Message) > 0 }

// keygenCommand is the command that makes a key and prints its record and
// MTA configuration.
func keygenCommand(domain, selector string) string {
	if domain == "" {
		domain = "example.com"
	}
	if selector == "" {
		selector = "s1"
	}
	return "mailcred keygen --domain " + domain + " --selector " + strings.TrimSuffix(selector, ".")
}

// signHowTo is the pointer to the MTA side of signing, shared by the
// fixes that ask for a (new) signature.
const signHowTo = "It prints the TXT record to publish and the MTA configuration: exim4 (dkim_domain, dkim_selector, " +
	"dkim_private_key, dkim_canon = relaxed on the remote_smtp transport, or the DKIM_* macros of the single-file " +
	"template) or postfix with the OpenDKIM milter."
