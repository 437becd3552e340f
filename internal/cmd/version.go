package cmd

import (
	"fmt"
	"io"

	"qqconnect/internal/app"
)

// versionCommand is `qqconnect version`.
func versionCommand(stdout io.Writer) int {
	fmt.Fprintln(stdout, "qqconnect", app.Version)
	return 0
}
