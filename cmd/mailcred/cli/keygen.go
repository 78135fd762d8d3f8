package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/keygen"
)

type keygenFlags struct {
	domain   string
	selector string
	keyType  string
	bits     int
	out      string
	fromKey  string
}

// keygenReport is the JSON of `mailcred keygen`: where the key is and the
// record to publish. It never holds key material.
type keygenReport struct {
	Domain   string            `json:"domain"`
	Selector string            `json:"selector"`
	KeyFile  string            `json:"key_file"`
	Created  bool              `json:"created"` // false with --from-key
	Key      string            `json:"key"`     // "2048-bit RSA", "Ed25519"
	Record   scoring.DNSRecord `json:"record"`
	Zone     string            `json:"zone"`
	Notes    []string          `json:"notes,omitempty"`
}

func newKeygenCmd(g *globals) *cobra.Command {
	f := &keygenFlags{}
	cmd := &cobra.Command{
		Use:   "keygen --domain D --selector S [--type rsa|ed25519] [--bits 2048] [--out FILE]",
		Short: "Make a DKIM key and print its DNS record and the MTA configuration",
		Long: `keygen writes a new DKIM private key (mode 0600; PKCS#1 PEM for RSA as openssl genrsa
writes it, PKCS#8 for Ed25519) and prints what to do with it: the TXT record at
SELECTOR._domainkey.DOMAIN as a zone-file line and as web DNS panels want it (split in
strings of at most 255 bytes), and the signing configuration for exim4 (Debian split and
single-file) and for postfix with OpenDKIM. The private key itself is never printed.

An existing file is never overwritten: its record may still be published and mail in flight
signed with it. With --from-key FILE no key is made: the record and configuration are
printed for a key you already have.

Exit status: 0 done, 2 usage or runtime error (including an existing --out file).`,
		Example: `  mailcred keygen --domain example.com --selector s2026
  mailcred keygen --domain example.com --selector ed1 --type ed25519 --out /etc/exim4/dkim/ed1.key
  mailcred keygen --domain example.com --selector mail --from-key /etc/exim4/dkim-key.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeygen(g, f, cmd.Flags().Changed("bits"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.domain, "domain", "", "the signing domain, d= (required)")
	fl.StringVar(&f.selector, "selector", "", "the selector, s=: the record goes at SELECTOR._domainkey.DOMAIN (required)")
	fl.StringVar(&f.keyType, "type", "rsa", "key type: rsa or ed25519 (RFC 8463; sign with RSA too)")
	fl.IntVar(&f.bits, "bits", keygen.DefaultBits, "RSA key size, 1024 to 4096 (RFC 8301)")
	fl.StringVar(&f.out, "out", "", "private key file to create (default ./SELECTOR.DOMAIN.key.pem)")
	fl.StringVar(&f.fromKey, "from-key", "", "an existing private key file: print its record and configuration, make no key")
	cmd.MarkFlagRequired("domain")
	cmd.MarkFlagRequired("selector")
	return cmd
}

func runKeygen(g *globals, f *keygenFlags, bitsSet bool) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.domain)), ".")
	selector := strings.ToLower(strings.TrimSpace(f.selector))
	var setup *keygen.Setup
	var err error
	created := false
	if f.fromKey != "" {
		if f.out != "" || bitsSet || f.keyType != "rsa" {
			return usageError("--from-key uses an existing key: --out, --type and --bits do not apply")
		}
		setup, err = existingKey(g, domain, selector, f.fromKey)
	} else {
		setup, err = newKey(domain, selector, f, bitsSet)
		created = err == nil
	}
	if err != nil {
		return err
	}
	if g.format == "json" {
		return printKeygenJSON(g, setup, created)
	}
	if created {
		fmt.Fprintf(g.io.Out, "Wrote a new private key to %s (mode 0600).\n\n", setup.KeyPath)
	}
	fmt.Fprint(g.io.Out, setup.Text())
	return nil
}

// newKey makes a key, works out its instructions (which validate the
// domain, selector and path) and only then writes it, never over an
// existing file.
func newKey(domain, selector string, f *keygenFlags, bitsSet bool) (*keygen.Setup, error) {
	var opts keygen.Options
	switch strings.ToLower(f.keyType) {
	case "rsa":
		opts = keygen.Options{Type: dkim.KeyRSA, Bits: f.bits}
	case "ed25519":
		opts = keygen.Options{Type: dkim.KeyEd25519}
		if bitsSet {
			opts.Bits = f.bits
		}
	default:
		return nil, usageError("--type %q: want rsa or ed25519", f.keyType)
	}
	out := f.out
	if out == "" {
		out = selector + "." + domain + ".key.pem"
	}
	// Fail before the slow part when the file is already there; WriteKey
	// checks again atomically (O_EXCL).
	if _, err := os.Lstat(out); err == nil {
		return nil, refuseOverwrite(out)
	}
	key, err := keygen.Generate(opts)
	if err != nil {
		return nil, usageError("%v", err)
	}
	setup, err := keygen.Instructions(domain, selector, out, key)
	if err != nil {
		return nil, usageError("%v", err)
	}
	if err := keygen.WriteKey(out, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, refuseOverwrite(out)
		}
		return nil, &exitError{code: ExitError, err: err}
	}
	return setup, nil
}

func refuseOverwrite(path string) error {
	return usageError("%s already exists; mailcred never overwrites a key, since its record may still be published and mail "+
		"in flight signed with it. Choose another --out (and a new --selector for a new key), or print the instructions "+
		"for the existing key with --from-key %s", path, path)
}

// existingKey loads a key the user already has (warning when others can
// read it) and builds its instructions.
func existingKey(g *globals, domain, selector, path string) (*keygen.Setup, error) {
	key, err := dkim.LoadPrivateKey(path)
	if err != nil {
		return nil, usageError("--from-key: %v", err)
	}
	if p := dkim.KeyFilePermissionProblem(path); p != "" {
		fmt.Fprintln(g.io.Err, "warning:", p)
	}
	setup, err := keygen.Instructions(domain, selector, path, key)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return setup, nil
}

func printKeygenJSON(g *globals, s *keygen.Setup, created bool) error {
	return writeJSON(g.io.Out, keygenReport{
		Domain: s.Domain, Selector: s.Selector, KeyFile: s.KeyPath, Created: created, Key: s.Key,
		Record: s.Record, Zone: s.Zone, Notes: s.Notes,
	})
}
