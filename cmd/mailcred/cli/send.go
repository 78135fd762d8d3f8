package cli

import "github.com/spf13/cobra"

// newSendCmd is being written (issue 3); this placeholder keeps the tree building.
func newSendCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "send", Short: "(in progress)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError("send is not built yet") }}
}
