package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd generates man pages from the command tree itself, so they can
// never drift from --help: release builds run `mailcred man --dir` and ship
// the pages in the archives and the .deb.
func newManCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man [--dir DIR]",
		Short: "Print the mailcred(1) man page, or write a page for every command into DIR",
		Long: `Print the mailcred(1) man page (read it with 'mailcred man | man -l -'), or with --dir write
one page per command (mailcred.1, mailcred-check.1, …) into DIR, created if missing.
SOURCE_DATE_EPOCH, when set, dates the pages (reproducible builds).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			header, err := manHeader(g.io.Env)
			if err != nil {
				return usageError("%v", err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			if dir == "" {
				return doc.GenMan(root, header, g.io.Out)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return err
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.io.Err, "wrote %d man pages to %s\n", len(entries), dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write every command's page into this directory")
	return cmd
}

// manHeader dates the pages by SOURCE_DATE_EPOCH when set, else today.
func manHeader(env []string) (*doc.GenManHeader, error) {
	date := time.Now().UTC()
	if v, ok := lookupEnv(env, "SOURCE_DATE_EPOCH"); ok && v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds", v)
		}
		date = time.Unix(secs, 0).UTC()
	}
	return &doc.GenManHeader{Title: "MAILCRED", Section: "1", Source: "mailcred " + readBuildInfo().Version, Manual: "mailcred manual", Date: &date}, nil
}
