// Package profile is the user's sending setup — who they send as, from
// which IPs, with which key and route — read from a YAML file in the XDG
// config directory, overridden by environment variables and then flags.
// Secrets are not stored in it: the SMTP password is named by a file path
// (or an environment variable) unless the user explicitly asks otherwise.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/inputfile"
)

// Profile is the sending setup.
type Profile struct {
	From     string   `yaml:"from"`               // you@example.com
	To       string   `yaml:"to,omitempty"`       // a test recipient
	Domain   string   `yaml:"domain"`             // the sending domain (default: From's domain)
	IPs      []string `yaml:"ips,omitempty"`      // sending IPs
	HELO     string   `yaml:"helo,omitempty"`     // the MTA's EHLO name
	Selector string   `yaml:"selector,omitempty"` // DKIM selector
	KeyPath  string   `yaml:"dkim_key,omitempty"` // DKIM private key file (the key itself is never stored here)
	Via      string   `yaml:"via,omitempty"`      // mx, mta, HOST:PORT or sendmail
	// MTACommand names the MTA of via mta, e.g. "exim4 -C /etc/exim4/candidate.conf";
	// empty means the exim or postfix found on this host.
	MTACommand string `yaml:"mta_command,omitempty"`
	TLS        string `yaml:"tls,omitempty"` // starttls, implicit, none, opportunistic
	AuthUser   string `yaml:"auth_user,omitempty"`
	// PasswordFile names a file holding the SMTP password.
	PasswordFile string `yaml:"auth_password_file,omitempty"`
	// Password is only written when the user asked to store it in clear.
	Password string `yaml:"auth_password,omitempty"`
	Resolver string `yaml:"resolver,omitempty"`
	// DQSKey is a Spamhaus Data Query Service key (26 letters and digits):
	// ZEN and DBL are then asked through <key>.zen.dq.spamhaus.net. Never
	// printed; the file is mode 0600.
	DQSKey string `yaml:"dqs_key,omitempty"`
	Theme  string `yaml:"theme,omitempty"`
	Watch  string `yaml:"watch,omitempty"` // re-check interval, e.g. 30s
}

// Path returns the profile file's path: $XDG_CONFIG_HOME/mailcred/profile.yaml
// (or ~/.config/...), from the given environment.
func Path(getenv func(string) string) (string, error) {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("neither XDG_CONFIG_HOME nor HOME is set")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "mailcred", "profile.yaml"), nil
}

// maxProfile bounds the profile file: a few hundred bytes in practice.
const maxProfile = 1 << 20

// ErrNoProfile is returned by Load when there is no profile file yet.
var ErrNoProfile = errors.New("no profile yet")

// Load reads the profile file. A missing file is ErrNoProfile; a file that
// does not parse is an error naming the file and the line.
func Load(path string) (Profile, error) {
	var p Profile
	b, err := inputfile.ReadFile(path, maxProfile)
	if errors.Is(err, fs.ErrNotExist) {
		return p, ErrNoProfile
	}
	if err != nil {
		return p, fmt.Errorf("reading profile: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("profile %s: %w", path, err)
	}
	return p, nil
}

// Save writes the profile with mode 0600 (it may name key paths), creating
// the directory. The password is dropped unless keepPassword is set.
func Save(path string, p Profile, keepPassword bool) error {
	if !keepPassword {
		p.Password = ""
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		return fmt.Errorf("encoding profile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte("# mailcred profile (mailcred onboarding writes it; edit freely)\n"), b...), 0o600); err != nil {
		return fmt.Errorf("writing profile: %w", err)
	}
	return os.Rename(tmp, path)
}

// envNames maps environment variables to the fields they set.
var envNames = []struct {
	name string
	set  func(*Profile, string)
}{
	{"MAILCRED_FROM", func(p *Profile, v string) { p.From = v }},
	{"MAILCRED_TO", func(p *Profile, v string) { p.To = v }},
	{"MAILCRED_DOMAIN", func(p *Profile, v string) { p.Domain = v }},
	{"MAILCRED_IPS", func(p *Profile, v string) { p.IPs = splitList(v) }},
	{"MAILCRED_HELO", func(p *Profile, v string) { p.HELO = v }},
	{"MAILCRED_SELECTOR", func(p *Profile, v string) { p.Selector = v }},
	{"MAILCRED_DKIM_KEY", func(p *Profile, v string) { p.KeyPath = v }},
	{"MAILCRED_VIA", func(p *Profile, v string) { p.Via = v }},
	{"MAILCRED_RESOLVER", func(p *Profile, v string) { p.Resolver = v }},
	{"MAILCRED_DQS_KEY", func(p *Profile, v string) { p.DQSKey = v }},
}

// ApplyEnv overrides fields from MAILCRED_* variables.
func (p *Profile) ApplyEnv(getenv func(string) string) {
	for _, e := range envNames {
		if v := strings.TrimSpace(getenv(e.name)); v != "" {
			e.set(p, v)
		}
	}
}

func splitList(v string) []string {
	// append keeps nil for an empty list (omitted when saved).
	return append([]string(nil), strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })...)
}

// Complete reports whether the profile has what the workbench needs.
func (p Profile) Complete() bool { return p.From != "" && p.SendingDomain() != "" }

// SendingDomain is Domain, or the From address's domain.
func (p Profile) SendingDomain() string {
	if p.Domain != "" {
		return strings.ToLower(strings.TrimSuffix(p.Domain, "."))
	}
	if a, err := mail.ParseAddress(p.From); err == nil {
		return scoring.DomainOf(a.Address)
	}
	return ""
}

// Validate lists every problem, each naming its field.
func (p Profile) Validate() []error {
	var errs []error
	if _, err := mail.ParseAddress(p.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %q is not an address", p.From))
	}
	if p.To != "" {
		if _, err := mail.ParseAddress(p.To); err != nil {
			errs = append(errs, fmt.Errorf("to: %q is not an address", p.To))
		}
	}
	for _, ip := range p.IPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, fmt.Errorf("ips: %q is not an IP address", ip))
		}
	}
	if p.Selector != "" && strings.ContainsAny(p.Selector, " @/") {
		errs = append(errs, fmt.Errorf("selector: %q is not a DNS label", p.Selector))
	}
	return errs
}

// Addrs parses the IPs (Validate reports the bad ones).
func (p Profile) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, s := range p.IPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}
