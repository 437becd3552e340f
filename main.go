// Command qqconnect gives a Discuz! X forum a working QQ互联 login and an
// admin toolbox for its QQ/cloud settings. main only sets the process up;
// the commands are in internal/cmd, the service in internal/app.
package main

import (
	"os"
	"runtime/debug"

	"github.com/gin-gonic/gin"

	"qqconnect/internal/cmd"
)

func main() {
	gin.SetMode(gin.ReleaseMode)
	tuneGC(os.Getenv)
	os.Exit(cmd.Run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// tuneGC trades a little memory for CPU unless the operator chose: the live
// heap is a few MiB, so Go's default (GOGC=100) collects every few hundred
// logins, a tenth of a callback's CPU (README "Performance"). The soft
// limit keeps the process well inside the 60 MiB it is measured against.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(30 << 20)
	}
}
