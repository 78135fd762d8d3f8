package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by release builds (goreleaser's ldflags: -X
// github.com/mailcred/mailcred/cmd/mailcred/cli.releaseVersion=...), which
// build from a tarball-like tree where the module version is "(devel)" and
// no VCS stamp exists. A plain `go install …@vX` needs neither: the build
// info carries the module version.
var (
	releaseVersion string
	releaseCommit  string
)

// BuildInfo is what `mailcred version` reports.
type BuildInfo struct {
	Version    string `json:"version"`          // module version, "devel" in a checkout
	Commit     string `json:"commit,omitempty"` // VCS revision; empty when unknown (-buildvcs=false)
	CommitTime string `json:"commit_time,omitempty"`
	Modified   bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
	Go         string `json:"go"`
	Platform   string `json:"platform"`
}

// readBuildInfo gathers the version from the binary's embedded build info
// (runtime/debug), preferring release link-time values when present.
func readBuildInfo() BuildInfo {
	b := BuildInfo{Version: "devel", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.time":
				b.CommitTime = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if releaseVersion != "" {
		b.Version = releaseVersion
	}
	if releaseCommit != "" && releaseCommit != "none" { // goreleaser says none outside a git checkout
		b.Commit = releaseCommit
	}
	return b
}

// String is the text form, shared by `mailcred version` and --version.
func (b BuildInfo) String() string {
	commit := b.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information)"
	case b.Modified:
		commit += " (modified)"
	}
	if b.CommitTime != "" {
		commit += ", " + b.CommitTime
	}
	return fmt.Sprintf("mailcred version %s\ncommit %s\ngo %s %s\n", b.Version, commit, b.Go, b.Platform)
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mailcred's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkFormat(); err != nil {
				return err
			}
			b := readBuildInfo()
			if g.format == "json" {
				return writeJSON(g.io.Out, b)
			}
			_, err := fmt.Fprint(g.io.Out, b.String())
			return err
		},
	}
}
