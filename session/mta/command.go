package mta

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Command is the MTA program and its fixed arguments, as --mta-command
// gives them: "exim4 -C /etc/exim4/candidate.conf" tries a candidate
// configuration before it is installed.
type Command struct {
	Kind Kind
	Argv []string
}

// String is the command as it would be typed.
func (c Command) String() string {
	parts := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		if a == "" || strings.ContainsAny(a, " \t'\"\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// maxCommand bounds --mta-command.
const maxCommand = 4096

// ParseCommand splits a command line the way a shell would split words —
// white space separates, single and double quotes group, a backslash
// escapes — without running a shell: nothing is expanded. The MTA is known
// by the program's name (exim, exim4 → exim; sendmail or postfix → postfix
// unless kind says otherwise). kind may be empty.
func ParseCommand(line string, kind Kind) (Command, error) {
	if len(line) > maxCommand {
		return Command{}, fmt.Errorf("--mta-command is longer than %d bytes", maxCommand)
	}
	var argv []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c < ' ' && c != '\t' || c == 0x7f:
			return Command{}, errors.New("--mta-command contains a control character")
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				argv = append(argv, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return Command{}, errors.New("--mta-command has an unclosed quote")
	}
	if inWord {
		argv = append(argv, cur.String())
	}
	if len(argv) == 0 {
		return Command{}, errors.New("--mta-command is empty")
	}
	if kind == "" {
		kind = KindOf(argv[0])
	}
	if kind == "" {
		return Command{}, fmt.Errorf("--mta-command %q: cannot tell which MTA %s is; mailcred follows exim (exim4, exim) and postfix (its sendmail)", line, argv[0])
	}
	if !kind.Driven() {
		return Command{}, fmt.Errorf("--mta-command: %s's own delivery cannot be followed; use --via sendmail to hand it the message", kind)
	}
	return Command{Kind: kind, Argv: argv}, nil
}

// KindOf tells the MTA from a program's name, or "".
func KindOf(program string) Kind {
	switch base := filepath.Base(program); {
	case strings.HasPrefix(base, "exim"):
		return Exim
	case base == "sendmail" || base == "postfix" || base == "sendmail.postfix":
		return Postfix
	}
	return ""
}

// CommandFor is the command that drives a detected MTA.
func CommandFor(f Found) (Command, error) {
	if !f.Kind.Driven() || f.Binary == "" {
		return Command{}, fmt.Errorf("%s cannot be driven by mailcred", f)
	}
	return Command{Kind: f.Kind, Argv: []string{f.Binary}}, nil
}

// ConfigFile is the configuration exim is told to read with -C, or "".
func (c Command) ConfigFile() string {
	if c.Kind != Exim {
		return ""
	}
	for i, a := range c.Argv {
		if a == "-C" && i+1 < len(c.Argv) {
			return c.Argv[i+1]
		}
	}
	return ""
}
