package cli

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// schemaFiles are the JSON Schemas (draft 2020-12) of every command's
// --format json document; common.json holds the shared definitions.
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// schemaNames lists the documented documents (file names without .json,
// common excluded).
func schemaNames() []string {
	entries, _ := fs.ReadDir(schemaFiles, "schemas")
	var names []string
	for _, e := range entries {
		if n := strings.TrimSuffix(e.Name(), ".json"); n != "common" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func newSchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema [COMMAND|common]",
		Short: "Print the JSON Schema of a command's --format json output",
		Long: `Print the JSON Schema (draft 2020-12) of a command's --format json document, or list the
schemas. Every document carries "schema_version" (` + fmt.Sprint(SchemaVersion) + ` today); fields may be added
without a new version, never removed or changed in meaning. Shared definitions are in 'common'.`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return append(schemaNames(), "common"), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, n := range schemaNames() {
					fmt.Fprintln(g.io.Out, n)
				}
				return nil
			}
			b, err := schemaFiles.ReadFile("schemas/" + args[0] + ".json")
			if err != nil || strings.ContainsAny(args[0], "/.") {
				return usageError("no schema %q (have: %s, common)", args[0], strings.Join(schemaNames(), ", "))
			}
			_, err = g.io.Out.Write(b)
			return err
		},
	}
}
