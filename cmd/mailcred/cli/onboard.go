package cli

import (
	"context"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"

	"charm.land/huh/v2"

	"github.com/mailcred/mailcred/session/profile"
)

// onboard asks for the few facts the workbench needs on first run and
// returns the filled profile. Nothing is sent and no key is generated here.
func onboard(ctx context.Context, p profile.Profile) (profile.Profile, bool, error) {
	ips := strings.Join(p.IPs, ", ")
	keep := false
	form := huh.NewForm(
		huh.NewGroup(
			huh.NewNote().Title("Welcome to mailcred").
				Description("A few facts about your sending setup. They are saved in your profile\n"+
					"(no passwords), and every one can be changed later."),
			huh.NewInput().Title("Send as (From)").Placeholder("you@example.com").Value(&p.From).
				Validate(func(s string) error { _, err := mail.ParseAddress(s); return err }),
			huh.NewInput().Title("Test recipient").Description("Where test messages go; a mail-tester address works.").
				Value(&p.To).Validate(func(s string) error {
				if s == "" {
					return nil
				}
				_, err := mail.ParseAddress(s)
				return err
			}),
			huh.NewInput().Title("Sending IPs").Description("Your server's public IPv4 and IPv6 (ip -br addr).").
				Placeholder("203.0.113.5, 2001:db8::5").Value(&ips).Validate(validIPs),
			huh.NewInput().Title("HELO name").Placeholder("mail.example.com").Value(&p.HELO),
		),
		huh.NewGroup(
			huh.NewInput().Title("DKIM selector").Placeholder("s1").Value(&p.Selector),
			huh.NewInput().Title("DKIM private key file").Description("mailcred keygen makes one; leave empty to send unsigned.").
				Value(&p.KeyPath),
			huh.NewSelect[string]().Title("Route").Options(
				huh.NewOption("straight to the recipient's MX (port 25)", "mx"),
				huh.NewOption("through the local MTA (/usr/sbin/sendmail)", "sendmail"),
				huh.NewOption("a relay/submission server (HOST:PORT, set via --via)", "relay")).Value(&p.Via),
			huh.NewConfirm().Title("Save now?").Value(&keep),
		),
	)
	if err := form.RunWithContext(ctx); err != nil {
		return p, false, fmt.Errorf("onboarding: %w", err)
	}
	p.IPs = append([]string(nil), strings.FieldsFunc(ips, func(r rune) bool { return r == ',' || r == ' ' })...)
	if p.Via == "relay" {
		p.Via = ""
	}
	return p, keep, nil
}

func validIPs(s string) error {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, err := netip.ParseAddr(f); err != nil {
			return fmt.Errorf("%q is not an IP address", f)
		}
	}
	return nil
}
