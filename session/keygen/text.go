package keygen

import (
	"fmt"
	"strings"
)

// Text renders the setup for a terminal: the record in both forms, then
// each MTA's configuration and the commands to apply and check it. It
// names the key file but never holds its content.
func (s *Setup) Text() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	p("DKIM key for %s, selector %s: %s", s.Domain, s.Selector, s.Key)
	p("Private key: %s (it stays on this host, readable only by the MTA: never in DNS, mail or chat)", s.KeyPath)
	for _, n := range s.Notes {
		p("Note: %s", n)
	}
	p("")
	p("1. Publish the public key in DNS")
	p("")
	p("   Zone file (BIND, NSD, Knot):")
	p("     %s", s.Zone)
	p("")
	p("   Web DNS panel:")
	p("     Type:  %s", s.Panel.Type)
	p("     Name:  %s   (panels that want the full name: %s)", s.Panel.Host, s.Panel.FQDN)
	p("     Value: %s", s.Panel.Value)
	if len(s.Panel.Strings) > 1 {
		p("     If the panel refuses values over 255 characters, enter these %d strings in order", len(s.Panel.Strings))
		p("     (as separate quoted strings; DNS joins them without spaces):")
		for _, str := range s.Panel.Strings {
			p("       %q", str)
		}
	}
	p("")
	p("   Check: dig +short TXT %s", s.Record.Name)
	p("          mailcred check --domain %s --selector %s --dkim-key %s", s.Domain, s.Selector, s.KeyPath)
	p("")
	p("2. Make your MTA sign (one of these)")
	for i, m := range s.MTAs {
		p("")
		p("   %c) %s", 'a'+i, m.Name)
		p("      When: %s", m.When)
		for _, f := range m.Files {
			p("      In %s, %s:", f.Path, f.Where)
			for _, line := range strings.Split(f.Text, "\n") {
				p("        %s", line)
			}
		}
		p("      Then run:")
		for _, c := range m.Commands {
			p("        %s", c)
		}
		for _, n := range m.Notes {
			p("      Note: %s", n)
		}
	}
	return b.String()
}
