package mta

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Setting asks the MTA for one main configuration option: exim -bP NAME
// ("name = value", or "name" / "no_name" for a boolean), postfix
// postconf -h NAME. A boolean is returned as "true" or "false".
func Setting(ctx context.Context, o Options, name string) (string, error) {
	if strings.ContainsAny(name, " \t\n-/") || name == "" {
		return "", fmt.Errorf("mta: %q is not an option name", name)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var argv []string
	switch o.Command.Kind {
	case Exim:
		argv = append(append([]string(nil), o.Command.Argv...), "-bP", name)
	case Postfix:
		argv = []string{"postconf", "-h", name}
	default:
		return "", fmt.Errorf("mta: no settings for %q", o.Command.Kind)
	}
	var value string
	found := false
	err := o.run(ctx, argv, nil, func(line string) {
		line = strings.TrimSpace(line)
		switch {
		case found:
		case o.Command.Kind == Postfix && line != "":
			value, found = line, true
		case strings.HasPrefix(line, name+" = "):
			value, found = strings.TrimPrefix(line, name+" = "), true
		case line == name+" =":
			value, found = "", true
		case line == name:
			value, found = "true", true
		case line == "no_"+name:
			value, found = "false", true
		}
	})
	if !found {
		if err != nil {
			return "", err
		}
		return "", fmt.Errorf("mta: %s did not print %s", o.Command.Argv[0], name)
	}
	return clean(value), nil
}
