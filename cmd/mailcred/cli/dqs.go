package cli

import (
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
)

// envDQSKey names the Spamhaus DQS key's environment variable.
const envDQSKey = "MAILCRED_DQS_KEY"

// dqsSecret is the Spamhaus DQS key from --dqs-key, else $MAILCRED_DQS_KEY;
// empty when neither is set. newResolver has checked its shape.
func (g *globals) dqsSecret() scoring.Secret {
	if g.dqsKey != "" {
		return scoring.Secret(g.dqsKey)
	}
	v, _ := lookupEnv(g.io.Env, envDQSKey)
	return scoring.Secret(v)
}

// dqs returns the key, or a usage error that does not repeat it when it
// does not have a DQS key's shape (a mistyped key would otherwise make
// every Spamhaus lookup "could not check").
func (g *globals) dqs() (scoring.Secret, error) {
	key := g.dqsSecret()
	if key != "" && !dnsbl.ValidDQSKey(key.Reveal()) {
		return "", usageError("Spamhaus DQS key (--dqs-key or $%s): want 26 letters and digits, got %d characters", envDQSKey, len(key.Reveal()))
	}
	return key, nil
}
