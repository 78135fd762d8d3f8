package cli

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"

	"charm.land/huh/v2"

	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/profile"
)

// The routes the first-run form offers.
const (
	routeMX       = "mx"
	routeSendmail = "sendmail"
	routeMTA      = "mta"
	routeRelay    = "relay"
)

// Where a relay's AUTH password comes from. The form never stores the
// password itself: storing it in clear is a profile edit the user makes
// on purpose.
const (
	pwFromFile = "file"
	pwFromEnv  = "env"
	pwAsk      = "ask"
)

// onboarding is the first-run form's answers, with their defaults.
type onboarding struct {
	p        profile.Profile
	ips      string
	route    string
	relay    string // HOST:PORT
	pwSource string
	save     bool
}

// newOnboarding starts from p; saving is the default (a first run that
// forgets its answers makes the user type them again).
func newOnboarding(p profile.Profile) *onboarding {
	o := &onboarding{p: p, ips: strings.Join(p.IPs, ", "), route: routeMX, pwSource: pwFromFile, save: true}
	if _, ok := mta.Primary(mta.Detect("/")); ok && p.Via == "" {
		o.route = routeMTA // a local MTA is what real mail leaves by
	}
	switch v := p.Via; {
	case v == routeSendmail, v == routeMTA:
		o.route = v
	case v != "" && v != routeMX:
		o.route, o.relay = routeRelay, v
	}
	return o
}

// profile is the profile the answers describe.
func (o *onboarding) profile() profile.Profile {
	p := o.p
	p.IPs = append([]string(nil), strings.FieldsFunc(o.ips, func(r rune) bool { return r == ',' || r == ' ' })...)
	p.Via, p.AuthUser, p.PasswordFile, p.Password = o.route, "", "", ""
	if o.route == routeRelay {
		p.Via = strings.TrimSpace(o.relay)
		p.AuthUser = strings.TrimSpace(o.p.AuthUser)
		if p.AuthUser != "" && o.pwSource == pwFromFile {
			p.PasswordFile = strings.TrimSpace(o.p.PasswordFile)
		}
	}
	return p
}

// asksPassword: where the AUTH password comes from is asked only for a
// relay with an AUTH user ("leave empty if the relay takes mail without
// AUTH" used to be followed by the password questions all the same).
func (o *onboarding) asksPassword() bool {
	return o.route == routeRelay && strings.TrimSpace(o.p.AuthUser) != ""
}

// asksPasswordFile: the file is asked only when the password comes from one.
func (o *onboarding) asksPasswordFile() bool { return o.asksPassword() && o.pwSource == pwFromFile }

// form asks for the few facts the workbench needs.
func (o *onboarding) form() *huh.Form {
	notRelay := func() bool { return o.route != routeRelay }

	return huh.NewForm(
		huh.NewGroup(
			huh.NewNote().Title("Welcome to mailcred").
				Description("A few facts about your sending setup. They are saved in your profile\n"+
					"(never a password), and every one can be changed later."),
			huh.NewInput().Title("Send as (From)").Placeholder("you@example.com").Value(&o.p.From).
				Validate(func(s string) error { _, err := mail.ParseAddress(s); return addressInWords(s, err) }),
			huh.NewInput().Title("Test recipient").Description("Where test messages go; a mail-tester address works.").
				Value(&o.p.To).Validate(func(s string) error {
				if s == "" {
					return nil
				}
				_, err := mail.ParseAddress(s)
				return addressInWords(s, err)
			}),
			huh.NewInput().Title("Sending IPs").Description("Your server's public IPv4 and IPv6 (ip -br addr).").
				Placeholder("203.0.113.5, 2001:db8::5").Value(&o.ips).Validate(validIPs),
			huh.NewInput().Title("HELO name").Placeholder("mail.example.com").Value(&o.p.HELO),
		),
		huh.NewGroup(
			huh.NewInput().Title("DKIM selector").Placeholder("s1").Value(&o.p.Selector),
			huh.NewInput().Title("DKIM private key file").Description("mailcred keygen makes one; leave empty to send unsigned.").
				Value(&o.p.KeyPath),
			huh.NewSelect[string]().Title("Route").Options(
				huh.NewOption("through the local exim or postfix, followed to the end of its delivery", routeMTA),
				huh.NewOption("straight to the recipient's MX (port 25)", routeMX),
				huh.NewOption("through the local MTA (/usr/sbin/sendmail)", routeSendmail),
				huh.NewOption("a relay or submission server, with AUTH", routeRelay)).Value(&o.route),
		),
		huh.NewGroup(
			huh.NewInput().Title("Relay host").Description("HOST:PORT, e.g. smtp.example.com:587").
				Value(&o.relay).Validate(validHostPort),
			huh.NewInput().Title("AUTH user").Description("Leave empty if the relay takes mail without AUTH.").
				Value(&o.p.AuthUser),
		).WithHideFunc(notRelay),
		// Asked only when there is an AUTH user, and the file only when
		// the password is to come from one.
		huh.NewGroup(
			huh.NewSelect[string]().Title("AUTH password").Description("The password itself is never saved.").Options(
				huh.NewOption("read from a file (mode 0600)", pwFromFile),
				huh.NewOption("from $"+envPassword, pwFromEnv),
				huh.NewOption("ask each time the workbench starts", pwAsk)).Value(&o.pwSource),
		).WithHideFunc(func() bool { return !o.asksPassword() }),
		huh.NewGroup(
			huh.NewInput().Title("Password file").Placeholder("~/.config/mailcred/smtp-password").
				Value(&o.p.PasswordFile),
		).WithHideFunc(func() bool { return !o.asksPasswordFile() }),
		huh.NewGroup(
			huh.NewConfirm().Title("Save this profile?").Affirmative("Save").Negative("Not now").Value(&o.save),
		),
	)
}

// onboard asks for the few facts the workbench needs on first run and
// returns the filled profile and whether to save it. Nothing is sent and
// no key is generated here.
func onboard(ctx context.Context, p profile.Profile) (profile.Profile, bool, error) {
	o := newOnboarding(p)
	if err := o.form().RunWithContext(ctx); err != nil {
		return p, false, fmt.Errorf("onboarding: %w", err)
	}
	return o.profile(), o.save, nil
}

// addressInWords turns net/mail's error into a sentence.
func addressInWords(s string, err error) error {
	if err == nil {
		return nil
	}
	if !strings.Contains(s, "@") {
		return fmt.Errorf("%q needs an @, as you@example.com", s)
	}
	return fmt.Errorf("%q is not an address, as you@example.com or Your Name <you@example.com>", s)
}

func validHostPort(s string) error {
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("%q is not HOST:PORT, as smtp.example.com:587", s)
	}
	return nil
}

func validIPs(s string) error {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if _, err := netip.ParseAddr(f); err != nil {
			return fmt.Errorf("%q is not an IP address", f)
		}
	}
	return nil
}
