package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"qqconnect/admin/repair"
	"qqconnect/internal/app"
	"qqconnect/internal/config"
	"qqconnect/models"
)

const auditUsage = `usage: qqconnect audit [--limit N] [--id N] [configuration flags]
       qqconnect undo ID [--yes] [configuration flags]
  audit      the audit log, newest first (--limit, default 20), or one entry with its values (--id)
  undo ID    undo audit entry ID, by the same rules as the admin page's 撤销: refused when it was
             already undone or when a value it would restore changed since
  --yes      do not ask for confirmation (required when stdin is not a terminal)
`

// auditCommand is `qqconnect audit …` and `qqconnect undo ID …`: the audit
// log of the admin page, and its undo, on the command line.
func auditCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdin *os.File, stdout, stderr io.Writer) int {
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "qqconnect %s: %s\n%s", cmd, msg, auditUsage)
		return 2
	}
	var (
		id, limit int64 = 0, 20
		yes       bool
		rest      []string
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		number := func() (int64, bool) {
			if !hasValue {
				if i+1 >= len(args) {
					return 0, false
				}
				i++
				value = args[i]
			}
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			return n, err == nil && n > 0
		}
		switch {
		case cmd == "undo" && !strings.HasPrefix(a, "-"):
			n, err := strconv.ParseInt(a, 10, 64)
			if err != nil || n <= 0 || id != 0 {
				return usage(fmt.Sprintf("unexpected argument %q (one audit entry ID)", a))
			}
			id = n
		case cmd == "undo" && (name == "yes" || name == "y") && !hasValue:
			yes = true
		case cmd == "audit" && name == "id":
			n, ok := number()
			if !ok {
				return usage("--id needs an audit entry number")
			}
			id = n
		case cmd == "audit" && name == "limit":
			n, ok := number()
			if !ok || n > 1000 {
				return usage("--limit needs a number from 1 to 1000")
			}
			limit = n
		case !strings.HasPrefix(a, "-"):
			return usage(fmt.Sprintf("unexpected argument %q", a))
		default:
			rest = append(rest, a)
			if !hasValue && name != "no-migrate" && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		}
	}
	if cmd == "undo" && id == 0 {
		return usage("missing ID (see `qqconnect audit`)")
	}
	tty := stdinIsTerminal(stdin)
	if cmd == "undo" && !yes && !tty {
		fmt.Fprintln(stderr, "qqconnect undo: stdin is not a terminal, so nobody can confirm: run with --yes")
		return 2
	}
	cfg, extra, err := config.Load(rest, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return 2
	}
	if len(extra) > 0 {
		return usage(fmt.Sprintf("unexpected arguments %v", extra))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, log, !cfg.NoMigrate)
	if err != nil {
		fmt.Fprintf(stderr, "qqconnect %s: cannot open the database: %v\n", cmd, err)
		return app.StartupExit(err)
	}
	defer a.Close()
	switch {
	case cmd == "audit" && id == 0:
		list, err := a.Store.ListAudit(ctx, int(limit), 0)
		if err != nil {
			fmt.Fprintln(stderr, "qqconnect audit:", err)
			return 1
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "no audit entries / 暂无审计记录")
		}
		for i := range list {
			fmt.Fprintln(stdout, auditLine(&list[i]))
		}
		return 0
	case cmd == "audit":
		e, err := a.Store.AuditByID(ctx, id)
		if err != nil {
			return noEntry(stderr, cmd, id, err)
		}
		printAuditEntry(stdout, e)
		return 0
	}
	e, err := a.Store.AuditByID(ctx, id)
	if err != nil {
		return noEntry(stderr, cmd, id, err)
	}
	printAuditEntry(stdout, e)
	if !yes {
		fmt.Fprintf(stderr, "撤销记录 #%d? / Undo entry #%d? [y/N] ", id, id)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stderr, "not confirmed: nothing was changed / 已取消，未做任何修改")
			return 1
		}
	}
	r := app.NewRepairer(a)
	if c, ok := r.Cache.(interface{ Close() error }); ok {
		defer c.Close()
	}
	undo, err := r.Undo(ctx, id, cliActor())
	if err != nil {
		return repairFailed(stderr, err)
	}
	fmt.Fprintf(stdout, "done: entry #%d undone by audit entry #%d / 已撤销记录 #%d（审计记录 #%d）\n", id, undo.ID, id, undo.ID)
	return 0
}

func noEntry(stderr io.Writer, cmd string, id int64, err error) int {
	if errors.Is(err, models.ErrNotFound) {
		fmt.Fprintf(stderr, "qqconnect %s: 没有审计记录 #%d / no audit entry #%d\n", cmd, id, id)
		return 1
	}
	fmt.Fprintf(stderr, "qqconnect %s: %v\n", cmd, err)
	return 1
}

// auditLine is one entry on one line: id, time, who, what, the outcome.
func auditLine(e *models.AuditEntry) string {
	who := e.ActorName
	if e.ActorIP != "" {
		who += "@" + e.ActorIP
	}
	line := fmt.Sprintf("#%-5d %s  %-3s %-16s %-16s %s  %s", e.ID, time.Unix(e.At, 0).UTC().Format("2006-01-02 15:04:05Z"),
		e.Source, who, e.Action, e.Result, e.Target)
	switch {
	case e.UndoneBy != nil:
		line += fmt.Sprintf("  (undone by #%d / 已撤销)", *e.UndoneBy)
	case e.UndoOf != nil:
		line += fmt.Sprintf("  (undo of #%d)", *e.UndoOf)
	}
	return line
}

// printAuditEntry shows an entry with its values before → after, as masked
// in the log (secrets never appear).
func printAuditEntry(w io.Writer, e *models.AuditEntry) {
	fmt.Fprintln(w, auditLine(e))
	fmt.Fprintf(w, "  user agent: %s\n", e.UserAgent)
	// after_json holds the masked Changes (before and after), as on the page.
	var changes []repair.Change
	_ = json.Unmarshal([]byte(e.AfterJSON), &changes)
	for _, c := range changes {
		fmt.Fprintf(w, "  %s  %s: %s → %s\n", c.Where, c.Key, c.Before, c.After)
	}
	if e.UndoData == "" {
		fmt.Fprintln(w, "  (nothing to undo / 无可撤销的数据)")
	}
}
