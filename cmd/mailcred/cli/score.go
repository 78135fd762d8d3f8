package cli

import "github.com/spf13/cobra"

// newScoreCmd is being written (issue 3); this placeholder keeps the tree building.
func newScoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "score", Short: "(in progress)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError("score is not built yet") }}
}
