package cli

import "github.com/spf13/cobra"

// The command line of the optional features: a feature's commands and flags
// are its own files, registered by a line in each list here.

// featureCommands are added to the root after the core commands.
func featureCommands(e *env) []*cobra.Command {
	return []*cobra.Command{
		// starter:feature tasks
		newWorkerCmd(e),
		newAdminCmd(e),
		// starter:end
	}
}

// featureServeFlags adds the features' flags to serve. Each returns what
// turns its flags, once parsed, into configuration keys.
func featureServeFlags(serve *cobra.Command) []func(keys map[string]any) {
	return []func(keys map[string]any){
		// starter:feature tasks
		noWorkerFlag(serve),
		// starter:end
	}
}
