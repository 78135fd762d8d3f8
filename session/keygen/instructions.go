package keygen

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
)

// Setup is everything needed to put a key to use, built from its public
// half only: the DNS record and each MTA's signing configuration.
type Setup struct {
	Domain   string
	Selector string
	KeyPath  string // absolute path of the private key file
	Key      string // "2048-bit RSA" or "Ed25519"
	// Record is the TXT record, its value split into ≤ 255-byte strings
	// (RFC 6376 §3.6.2.2).
	Record scoring.DNSRecord
	// Zone is Record as a master-file line (BIND, NSD, Knot).
	Zone string
	// Panel is the record as web DNS panels ask for it.
	Panel Panel
	// MTAs are the signing configurations: exim4 split, exim4 single
	// file, postfix with OpenDKIM.
	MTAs []MTA
	// Notes are warnings about the key itself (size, type).
	Notes []string
}

// Panel is a TXT record in the fields of a web DNS panel.
type Panel struct {
	Host    string   // relative to the zone: "selector._domainkey"
	FQDN    string   // the full name, for panels that want it
	Type    string   // "TXT"
	Value   string   // the whole value, unquoted
	Strings []string // the value in ≤ 255-byte pieces, for panels that limit a value's length
}

// MTA is one way of making an MTA sign.
type MTA struct {
	Name     string       // "exim4, Debian split configuration"
	When     string       // which installations this applies to
	Files    []ConfigFile // what to put where
	Commands []string     // to apply it and check it, in order
	Notes    []string
}

// ConfigFile is a change to one configuration file.
type ConfigFile struct {
	Path  string
	Where string // where in the file the text goes
	Text  string // the lines to add, "\n"-separated, no final newline
}

// Instructions builds the Setup for a key at keyPath whose public half is
// pub (a private key is accepted too; only its public half is used).
// domain and selector must be DNS names; keyPath must be a plain path
// (no white space, quotes, backslash or $, which exim would expand).
func Instructions(domain, selector, keyPath string, pub crypto.PublicKey) (*Setup, error) {
	if s, ok := pub.(crypto.Signer); ok {
		pub = s.Public()
	}
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	selector = strings.ToLower(selector)
	if err := dnsName("domain", domain); err != nil {
		return nil, err
	}
	if err := dnsName("selector", selector); err != nil {
		return nil, err
	}
	if keyPath == "" || strings.ContainsAny(keyPath, " \t\r\n\"'\\$`#;") {
		return nil, fmt.Errorf("dkim keygen: key path %q: use a path without white space, quotes, backslash, $, # or ; (MTA configs would misread it)", keyPath)
	}
	if abs, err := filepath.Abs(keyPath); err == nil {
		keyPath = abs
	}
	if k, ok := pub.(*rsa.PublicKey); ok && (k == nil || k.N == nil) {
		return nil, fmt.Errorf("dkim keygen: the RSA key has no modulus")
	}
	value, err := dkim.RecordForKey(pub)
	if err != nil {
		return nil, fmt.Errorf("dkim keygen: %w", err)
	}
	name := dkim.RecordName(selector, domain)
	rec := scoring.TXTRecord(name, value)
	s := &Setup{
		Domain:   domain,
		Selector: selector,
		KeyPath:  keyPath,
		Record:   rec,
		Zone:     rec.ZoneLine(),
		Panel: Panel{
			Host:    selector + "._domainkey",
			FQDN:    name,
			Type:    "TXT",
			Value:   value,
			Strings: rec.Strings,
		},
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		s.Key = fmt.Sprintf("%d-bit RSA", k.N.BitLen())
		if k.N.BitLen() < 2048 {
			s.Notes = append(s.Notes, fmt.Sprintf("A %d-bit key is accepted but weak: RFC 8301 §3.2 says signers SHOULD use 2048 bits.", k.N.BitLen()))
		}
	case ed25519.PublicKey:
		s.Key = "Ed25519"
		s.Notes = append(s.Notes, "Not every receiver verifies Ed25519 (RFC 8463) yet: keep signing with an RSA key too, "+
			"under its own selector, and add this one as a second signature.")
	}
	s.MTAs = []MTA{eximSplit(s), eximSingle(s), postfixOpenDKIM(s)}
	return s, nil
}

// dnsName accepts LDH labels (and _ for selectors such as 2024_mail).
func dnsName(what, s string) error {
	if s == "" || len(s) > 253 {
		return fmt.Errorf("dkim keygen: %s %q: want a DNS name", what, s)
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("dkim keygen: %s %q: empty, over-long or hyphen-edged label", what, s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("dkim keygen: %s %q: %q is not allowed in a DNS name (use the xn-- form for IDNs)", what, s, c)
			}
		}
	}
	return nil
}

// eximCheck is the story's check that exim took the options.
const eximCheck = "exim -bP transports | grep dkim"

func eximSplit(s *Setup) MTA {
	return MTA{
		Name: "exim4, Debian split configuration",
		When: "dc_use_split_config='true' in /etc/exim4/update-exim4.conf.conf",
		Files: []ConfigFile{{
			Path:  "/etc/exim4/conf.d/transport/30_exim4-config_remote_smtp",
			Where: "inside the remote_smtp: transport, after the line \"driver = smtp\"",
			Text: fmt.Sprintf("  dkim_domain = %s\n  dkim_selector = %s\n  dkim_private_key = %s\n  dkim_canon = relaxed",
				s.Domain, s.Selector, s.KeyPath),
		}},
		Commands: append(eximKeyAccess(s), "update-exim4.conf", "systemctl restart exim4", eximCheck),
		Notes: []string{
			"Debian's stock file already has .ifdef DKIM_DOMAIN ... blocks: instead of editing it you may set the macros " +
				"of the single-file section in /etc/exim4/conf.d/main/000_localmacros. Do one or the other, not both.",
			"Mail sent through a smarthost leaves by the remote_smtp_smarthost transport " +
				"(30_exim4-config_remote_smtp_smarthost): put the same lines there.",
		},
	}
}

func eximSingle(s *Setup) MTA {
	return MTA{
		Name: "exim4, Debian single-file template",
		When: "dc_use_split_config='false' (the default) in /etc/exim4/update-exim4.conf.conf",
		Files: []ConfigFile{{
			Path:  "/etc/exim4/exim4.conf.localmacros",
			Where: "anywhere (create the file if it does not exist)",
			Text: fmt.Sprintf("DKIM_DOMAIN = %s\nDKIM_SELECTOR = %s\nDKIM_PRIVATE_KEY = %s\nDKIM_CANON = relaxed",
				s.Domain, s.Selector, s.KeyPath),
		}},
		Commands: append(eximKeyAccess(s), "update-exim4.conf", "systemctl restart exim4", eximCheck),
		Notes:    []string{"The template's remote_smtp and remote_smtp_smarthost transports use these macros; no other file needs editing."},
	}
}

// eximKeyAccess lets the Debian-exim user read the key: exim's transport
// runs as that user and cannot read a root-only 0600 file.
func eximKeyAccess(s *Setup) []string {
	return []string{fmt.Sprintf("chown root:Debian-exim %s && chmod 640 %s", s.KeyPath, s.KeyPath)}
}

func postfixOpenDKIM(s *Setup) MTA {
	conf := strings.Join([]string{
		"Domain                  " + s.Domain,
		"Selector                " + s.Selector,
		"KeyFile                 " + s.KeyPath,
		"Canonicalization        relaxed/relaxed",
		"Mode                    s",
		"OversignHeaders         From",
		"Socket                  inet:8891@localhost",
	}, "\n")
	milters := []string{
		"smtpd_milters = inet:localhost:8891",
		"non_smtpd_milters = $smtpd_milters",
		"milter_default_action = accept",
	}
	commands := []string{
		"apt-get install opendkim opendkim-tools",
		fmt.Sprintf("chown opendkim:opendkim %s && chmod 600 %s", s.KeyPath, s.KeyPath),
	}
	for _, m := range milters {
		commands = append(commands, "postconf -e '"+m+"'")
	}
	commands = append(commands,
		"systemctl restart opendkim postfix",
		fmt.Sprintf("opendkim-testkey -d %s -s %s -k %s -vvv", s.Domain, s.Selector, s.KeyPath))
	return MTA{
		Name: "postfix with OpenDKIM",
		When: "postfix as the MTA, OpenDKIM as its signing milter",
		Files: []ConfigFile{
			{
				Path:  "/etc/opendkim.conf",
				Where: "replacing any existing lines with these names (Debian's default Socket is a Unix socket that postfix's chroot cannot reach)",
				Text:  conf,
			},
			{
				Path:  "/etc/postfix/main.cf",
				Where: "at the end (the postconf -e commands below do this; if smtpd_milters is already set, add the socket to its list)",
				Text:  strings.Join(milters, "\n"),
			},
		},
		Commands: commands,
		Notes: []string{
			"For several domains, replace Domain/Selector/KeyFile by tables: " +
				"KeyTable /etc/opendkim/key.table holding \"" + s.Record.Name + " " + s.Domain + ":" + s.Selector + ":" + s.KeyPath + "\", " +
				"and SigningTable refile:/etc/opendkim/signing.table holding \"*@" + s.Domain + " " + s.Record.Name + "\".",
			"opendkim-testkey says \"key OK\" once the record is published and matches the key (\"key not secure\" only means the zone has no DNSSEC).",
		},
	}
}
