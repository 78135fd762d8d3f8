// Package cli is mailcred's command line: cobra commands that turn flags
// into a configuration, run the engine, and print text or JSON. Exit status
// (the contract scripts rely on) is exitStatusHelp.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/themes"
)

// IO is the program's connection to the world, so tests can run commands
// in-process.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	Env      []string
}

// Exit codes.
const (
	ExitOK         = 0
	ExitFailed     = 1
	ExitError      = 2
	ExitIncomplete = 3
)

// exitStatusHelp is the exit-status paragraph of check, spf, score and send.
const exitStatusHelp = `Exit status: 0 everything was checked and nothing failed; 1 something failed; 2 usage
or runtime error; 3 incomplete: something could not be checked (a timeout, SERVFAIL, a
refusing resolver) and nothing failed. JSON output carries "complete" and "unchecked" (the IDs
of what could not be checked).`

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// failed is returned by a command whose checks ran but found a failure.
func failed() error { return &exitError{code: ExitFailed} }

// resultsExit is the exit status of a run of checks: a failure wins; else
// anything that could not be checked makes it incomplete, never success.
func resultsExit(results []scoring.Result) error {
	incomplete := false
	for _, r := range results {
		switch r.Status {
		case scoring.Fail:
			return failed()
		case scoring.Error, scoring.Pending:
			incomplete = true
		}
	}
	if incomplete {
		return &exitError{code: ExitIncomplete}
	}
	return nil
}

// globals are the flags every command shares.
type globals struct {
	io       IO
	resolver string
	format   string
	verbose  bool
	fresh    bool
	timeout  time.Duration
	theme    string
	dqsKey   string
	// reportFile is --report FILE of check, send and score.
	reportFile string

	bg struct { // the terminal's answer, asked at most once (darkBackground)
		once sync.Once
		dark bool
	}
}

// Main runs the command line and returns the exit status; an interrupt
// cancels the running command.
func Main(stdio IO, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return MainContext(ctx, stdio, args)
}

// MainContext runs the command line under ctx (tests cancel it to stop a
// long-running command such as receive).
func MainContext(ctx context.Context, stdio IO, args []string) int {
	g := &globals{io: stdio}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stdio.Err, "mailcred:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stdio.Err, "mailcred:", err)
	return ExitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "mailcred",
		Short: "A terminal workbench for the credibility of your outgoing mail",
		Long: `mailcred checks and explains everything receivers judge a sending mail server by:
SPF, DKIM, DMARC, reverse DNS, blocklists, TLS and the SMTP conversation itself.`,
		Version:       readBuildInfo().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Suggest a command within two edits of an unknown one.
		SuggestionsMinimumDistance: 2,
	}
	root.SetVersionTemplate(readBuildInfo().String())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitError, err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.resolver, "resolver", "", "DNS server HOST:PORT to ask (default: $MAILCRED_RESOLVER or /etc/resolv.conf)")
	pf.StringVar(&g.format, "format", "text", "output format: text or json")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "show every check's detail and the DNS query log")
	pf.BoolVar(&g.fresh, "fresh", false, "ask your domain's authoritative servers directly, so a record published a minute ago is seen")
	pf.DurationVar(&g.timeout, "timeout", 3*time.Second, "timeout of one DNS query attempt")
	pf.StringVar(&g.dqsKey, "dqs-key", "", "Spamhaus DQS key: ask ZEN and DBL through <key>.zen.dq.spamhaus.net (default $"+envDQSKey+"; the env or profile keeps it out of the process list)")
	pf.StringVar(&g.theme, "theme", "default", "colour theme: "+fmt.Sprint(themes.Names()))
	root.AddCommand(newCheckCmd(g), newSPFCmd(g), newSendCmd(g), newScoreCmd(g), usesGlobals(newKeygenCmd(g), "format"), newDemoCmd(g))
	root.AddCommand(newReceiveCmd(g), newOnboardCmd(g))
	root.AddCommand(usesGlobals(newVersionCmd(g), "format"), usesGlobals(newManCmd(g)), usesGlobals(newSchemaCmd(g)),
		usesGlobals(newReportCmd(g), "theme", "dqs-key"))
	addReportFlag(root, g)
	workbench := &profileFlags{}
	workbench.register(root)
	root.RunE = newWorkbenchRun(g, workbench)
	registerCompletions(root)
	showUsedGlobals(root)
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q", args[0])
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
		}
		return usageError("%s\nrun 'mailcred --help' for the commands", msg)
	}
	return root
}

// globalsAnnotation lists, on a command that does not read every global
// flag, the ones it does (comma-separated; "" for none).
const globalsAnnotation = "mailcred/globals"

// usesGlobals records which global flags c reads: its --help lists only
// those, since the others (--resolver under version) would do nothing.
func usesGlobals(c *cobra.Command, names ...string) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[globalsAnnotation] = strings.Join(names, ",")
	return c
}

// showUsedGlobals makes every command's help list the global flags it
// reads (all of them, unless usesGlobals says otherwise; none under
// cobra's completion command, which runs before any of them matter).
func showUsedGlobals(root *cobra.Command) {
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		used, ok := c.Annotations[globalsAnnotation]
		for p := c; !ok && p != nil; p = p.Parent() {
			if p.Name() == "completion" {
				used, ok = "", true
			}
		}
		if !ok {
			help(c, args)
			return
		}
		keep := map[string]bool{}
		for _, n := range strings.Split(used, ",") {
			keep[n] = true
		}
		var hidden []*pflag.Flag
		c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
			if !keep[f.Name] && !f.Hidden {
				f.Hidden = true
				hidden = append(hidden, f)
			}
		})
		defer func() {
			for _, f := range hidden {
				f.Hidden = false
			}
		}()
		help(c, args)
	})
}

// usageError reports bad input: exit 2 with a specific message.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

func (g *globals) checkFormat() error {
	if g.format != "text" && g.format != "json" {
		return usageError("--format %q: want text or json", g.format)
	}
	return nil
}

// newResolver builds the one resolver from the flags; fresh lists the
// user's own domains for --fresh.
func (g *globals) newResolver(fresh ...string) (*dnsx.Resolver, error) {
	return g.newSharedResolver(nil, fresh...)
}

// newSharedResolver is newResolver over a cache shared with other
// resolvers, every answer kept in it for its TTL (nil: none): what the
// messages of a `score` batch and of `receive` share.
func (g *globals) newSharedResolver(shared *dnsx.Cache, fresh ...string) (*dnsx.Resolver, error) {
	key, err := g.dqs()
	if err != nil {
		return nil, err
	}
	cfg := dnsx.Config{Servers: dnsx.ServersFromFlag(g.resolver), Timeout: g.timeout, Shared: shared, ShareAll: shared != nil,
		Mask: []string{key.Reveal()}}
	if g.fresh {
		cfg.Fresh = fresh
	}
	r, err := dnsx.New(cfg)
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	return r, nil
}

// textOut returns the writer, theme and width for text output: colour only
// on a terminal, none under NO_COLOR (any value) or with the mono theme.
func (g *globals) textOut() (io.Writer, render.Text, error) {
	w := colorprofile.NewWriter(g.io.Out, g.io.Env)
	dark, width := true, 80
	f, isFile := g.io.Out.(*os.File)
	tty := isFile && term.IsTerminal(f.Fd())
	if tty {
		if cols, _, err := term.GetSize(f.Fd()); err == nil && cols > 0 {
			width = cols
		}
		if in, ok := g.io.In.(*os.File); ok && term.IsTerminal(in.Fd()) && g.colourMatters(w.Profile) {
			dark = g.darkBackground(in, f)
		}
	}
	th, err := themes.New(g.theme, dark)
	if err != nil {
		return nil, render.Text{}, usageError("--theme: %v", err)
	}
	if themes.NoColor(g.io.Env) && w.Profile > colorprofile.Ascii {
		w.Profile = colorprofile.Ascii
	}
	return w, render.Text{Theme: th, Width: width, Verbose: g.verbose}, nil
}
