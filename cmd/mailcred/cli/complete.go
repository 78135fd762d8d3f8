package cli

import (
	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
)

// flagValues completes a flag whose values are a closed set; each entry
// is "value\tdescription" as cobra's completion expects.
type flagValues func() []string

// valueCompletions are the flags whose values mailcred knows, by flag name
// (the same flag name means the same thing on every command).
func valueCompletions() map[string]flagValues {
	return map[string]flagValues{
		"theme": func() []string { return themes.Names() },
		"format": func() []string {
			return []string{"text\thuman-readable (default)", "json\tone JSON document; see schema_version"}
		},
		"tls": func() []string {
			return []string{
				string(smtpc.TLSOpportunistic) + "\tSTARTTLS when offered, like an MTA (default)",
				string(smtpc.TLSStartTLS) + "\tSTARTTLS required",
				string(smtpc.TLSImplicit) + "\tTLS from the first byte (port 465)",
				string(smtpc.TLSNone) + "\tnever",
			}
		},
		"scenario": func() []string {
			var out []string
			for _, s := range demo.Scenarios() {
				out = append(out, s.Name+"\t"+s.Title)
			}
			return out
		},
		"selector": func() []string {
			var out []string
			for _, s := range dkim.CommonSelectors() {
				out = append(out, s.Name+"\t"+s.Source)
			}
			return out
		},
		"type": func() []string {
			return []string{"rsa\tRSA (every verifier)", "ed25519\tEd25519 (RFC 8463; sign with RSA too)"}
		},
	}
}

// registerCompletions attaches value completion to every command that has
// one of the known flags (persistent flags on the command defining them).
func registerCompletions(root *cobra.Command) {
	values := valueCompletions()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, vals := range values {
			if c.LocalFlags().Lookup(name) == nil {
				continue // not defined here (inherited flags complete where defined)
			}
			if _, ok := c.GetFlagCompletionFunc(name); ok {
				continue // a command that completes the flag itself wins
			}
			_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				return vals(), cobra.ShellCompDirectiveNoFileComp
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
