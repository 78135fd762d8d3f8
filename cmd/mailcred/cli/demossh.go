package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/sshdemo"
	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui"
)

// demoSSHFlags are demo's --ssh options.
type demoSSHFlags struct {
	addr        string
	hostKey     string
	maxSessions int
	idle, max   time.Duration
}

// stateDir is $XDG_STATE_HOME/mailcred, else ~/.local/state/mailcred.
func stateDir(env []string) (string, error) {
	if v, ok := lookupEnv(env, "XDG_STATE_HOME"); ok && filepath.IsAbs(v) {
		return filepath.Join(v, "mailcred"), nil
	}
	if home, ok := lookupEnv(env, "HOME"); ok && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "mailcred"), nil
	}
	return "", fmt.Errorf("no state directory: set XDG_STATE_HOME or HOME, or give --ssh-host-key")
}

// demoScreen is one SSH session's screen: a fresh world of the scenario
// and a workbench on it, never the user's real setup. NO_COLOR sent by the
// client selects the mono theme; the colour depth follows its TERM.
func demoScreen(g *globals, f *demoFlags) sshdemo.NewScreen {
	return func(ctx context.Context, env []string) (tea.Model, func(), error) {
		w, err := demo.Start(ctx, demo.Options{Scenario: f.scenario, Propagation: f.propagation, Ramp: f.ramp})
		if err != nil {
			return nil, nil, err
		}
		theme := g.theme
		if themes.NoColor(env) && (theme == "" || theme == "default") {
			theme = "mono"
		}
		m, err := tui.New(demoConfig(w, theme, f.watch))
		if err != nil {
			w.Close()
			return nil, nil, err
		}
		return m, func() { w.Close() }, nil
	}
}

// runDemoSSH serves the demo world over SSH until interrupted.
func runDemoSSH(ctx context.Context, g *globals, f *demoFlags) error {
	known := false
	for _, s := range demo.Scenarios() {
		known = known || s.Name == f.scenario
	}
	if !known {
		return usageError("--scenario %q: %v", f.scenario, demo.ErrUnknownScenario)
	}
	key := f.ssh.hostKey
	if key == "" {
		dir, err := stateDir(g.io.Env)
		if err != nil {
			return usageError("%v", err)
		}
		key = filepath.Join(dir, "ssh_host_ed25519")
	}
	srv, err := sshdemo.New(sshdemo.Options{
		Addr: f.ssh.addr, HostKeyPath: key, MaxSessions: f.ssh.maxSessions,
		IdleTimeout: f.ssh.idle, MaxTimeout: f.ssh.max, Screen: demoScreen(g, f),
		Log: func(s string) { fmt.Fprintln(g.io.Err, time.Now().Format("15:04:05"), s) },
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	fmt.Fprintf(g.io.Err, "mailcred demo over SSH on %s (host key %s): ssh -p PORT HOST; each session gets its own offline world\n", f.ssh.addr, key)
	return srv.ListenAndServe(ctx)
}
