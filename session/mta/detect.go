package mta

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kind is which MTA a program is.
type Kind string

// The MTAs. Exim and Postfix are driven and followed; the others are
// detected and named, and can be given messages through their sendmail
// program (--via sendmail) without their delivery being followed.
const (
	Exim      Kind = "exim"
	Postfix   Kind = "postfix"
	OpenSMTPD Kind = "opensmtpd"
	Msmtp     Kind = "msmtp"
	Nullmail  Kind = "nullmailer"
	Sendmail  Kind = "sendmail"
)

// Driven reports whether mailcred follows this MTA's delivery.
func (k Kind) Driven() bool { return k == Exim || k == Postfix }

// Found is one MTA on this host and the evidence for it.
type Found struct {
	Kind Kind
	// Binary is the program mailcred runs: exim4, or postfix's sendmail.
	Binary string
	// Config is its main configuration file or directory, if found.
	Config string
	// Evidence lists the paths that were found.
	Evidence []string
}

// String is "exim (/usr/sbin/exim4, /etc/exim4/exim4.conf.template)".
func (f Found) String() string {
	return fmt.Sprintf("%s (%s)", f.Kind, strings.Join(f.Evidence, ", "))
}

// signature is what marks one MTA: programs (the first found is run) and
// configuration paths.
type signature struct {
	kind     Kind
	binaries []string
	configs  []string
}

// signatures are the Debian (and common upstream) paths of each MTA.
var signatures = []signature{
	{Exim, []string{"/usr/sbin/exim4", "/usr/sbin/exim", "/usr/local/sbin/exim"},
		[]string{"/etc/exim4/exim4.conf", "/etc/exim4/exim4.conf.template", "/etc/exim4/update-exim4.conf.conf", "/etc/exim/exim.conf", "/usr/local/etc/exim/configure"}},
	{Postfix, []string{"/usr/sbin/postfix"},
		[]string{"/etc/postfix/main.cf", "/usr/local/etc/postfix/main.cf"}},
	{OpenSMTPD, []string{"/usr/sbin/smtpd", "/usr/local/sbin/smtpd"},
		[]string{"/etc/smtpd.conf", "/etc/mail/smtpd.conf", "/usr/local/etc/mail/smtpd.conf"}},
	{Msmtp, []string{"/usr/bin/msmtp"}, []string{"/etc/msmtprc"}},
	{Nullmail, []string{"/usr/sbin/nullmailer-send"}, []string{"/etc/nullmailer/remotes"}},
	{Sendmail, []string{"/usr/lib/sm.bin/sendmail", "/usr/libexec/sendmail/sendmail"}, []string{"/etc/mail/sendmail.cf"}},
}

// Detect lists the MTAs installed under root ("/" for this host; a test
// directory in tests), exim and postfix first. A program alone or a
// configuration alone is enough to list an MTA; Binary is empty when only
// its configuration was found. It only looks at file names: nothing is run.
func Detect(root string) []Found {
	var out []Found
	for _, s := range signatures {
		f := Found{Kind: s.kind}
		for _, b := range s.binaries {
			if isProgram(filepath.Join(root, b)) {
				if f.Binary == "" {
					f.Binary = b
				}
				f.Evidence = append(f.Evidence, b)
			}
		}
		for _, c := range s.configs {
			if _, err := os.Stat(filepath.Join(root, c)); err == nil {
				if f.Config == "" {
					f.Config = c
				}
				f.Evidence = append(f.Evidence, c)
			}
		}
		if s.kind == Postfix && f.Binary != "" {
			f.Binary = "/usr/sbin/sendmail" // postfix takes mail through its sendmail
		}
		if len(f.Evidence) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Primary is the MTA a send goes through by default: the first driven
// MTA with a program, as Detect orders them; ok is false when none.
func Primary(found []Found) (Found, bool) {
	for _, f := range found {
		if f.Kind.Driven() && f.Binary != "" {
			return f, true
		}
	}
	return Found{}, false
}

func isProgram(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
