package cli

import "github.com/spf13/cobra"

// newKeygenCmd is being written (issue 3); this placeholder keeps the tree building.
func newKeygenCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "keygen", Short: "(in progress)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError("keygen is not built yet") }}
}
