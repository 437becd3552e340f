package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/term"

	"qqconnect/admin/repair"
	"qqconnect/internal/app"
	"qqconnect/internal/config"
)

const repairUsage = `usage: qqconnect repair ACTION [--dry-run] [--yes] [--appid ID] [--uid N] [--set KEY=VALUE …] [configuration flags]
  ACTION: %s
  --dry-run  show every value before → after and change nothing
  --yes      do not ask for confirmation (required when stdin is not a terminal)
  --appid    the QQ AppID for set-app-key; its AppKey is read from stdin, never from the command line
  --uid      the member (forum uid) of member-unbind, member-blacklist and member-unban
  --set      one connect setting of connect-settings, e.g. --set allow=1 --set register_groupid=20 (repeat it)
`

// repairOpts are repair's own command-line arguments.
type repairOpts struct {
	action      string
	dryRun, yes bool
	appID       string
	appIDSet    bool
	uid         int64       // member actions; 0 = not given
	set         [][2]string // connect-settings: key, value in the order given
}

// splitRepairArgs takes repair's own arguments out of args; the rest are
// configuration flags (with their values) for config.Load.
func splitRepairArgs(args []string) (repairOpts, []string, error) {
	var o repairOpts
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			if o.action != "" {
				return o, nil, fmt.Errorf("unexpected argument %q (one ACTION only)", a)
			}
			o.action = a
		case a == "--":
			return o, nil, errors.New("unexpected \"--\"")
		case name == "dry-run" && !hasValue:
			o.dryRun = true
		case (name == "yes" || name == "y") && !hasValue:
			o.yes = true
		case name == "appid":
			if !hasValue {
				if i+1 >= len(args) {
					return o, nil, errors.New("--appid needs a value")
				}
				i++
				value = args[i]
			}
			o.appID, o.appIDSet = value, true
		case name == "uid":
			if !hasValue {
				if i+1 >= len(args) {
					return o, nil, errors.New("--uid needs a value")
				}
				i++
				value = args[i]
			}
			uid, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || uid <= 0 {
				return o, nil, fmt.Errorf("--uid must be a member's uid (a positive integer), not %q", value)
			}
			o.uid = uid
		case name == "set":
			if !hasValue {
				if i+1 >= len(args) {
					return o, nil, errors.New("--set needs KEY=VALUE")
				}
				i++
				value = args[i]
			}
			k, v, ok := strings.Cut(value, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return o, nil, fmt.Errorf("--set needs KEY=VALUE, not %q", value)
			}
			if slices.ContainsFunc(o.set, func(kv [2]string) bool { return kv[0] == k }) {
				return o, nil, fmt.Errorf("--set %s given twice", k)
			}
			o.set = append(o.set, [2]string{k, v})
		case name == "appkey" || name == "app-key":
			return o, nil, errors.New("the AppKey is read from stdin, never from the command line (it would be visible in the process list and the shell history)")
		default:
			rest = append(rest, a)
			// every configuration flag but --no-migrate takes a value
			if !hasValue && name != "no-migrate" && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		}
	}
	return o, rest, nil
}

// repairCommand is `qqconnect repair …` from main: configuration, database,
// then runRepair. Bad usage is refused before the database is opened.
func repairCommand(ctx context.Context, args []string, getenv func(string) string, stdin *os.File, stdout, stderr io.Writer) int {
	o, cfgArgs, err := splitRepairArgs(args)
	if err != nil {
		return repairUsageError(stderr, err.Error())
	}
	own := repairArgsOf(o)
	cfg, extra, err := config.Load(cfgArgs, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect: configuration error:", err)
		return 2
	}
	if len(extra) > 0 {
		return repairUsageError(stderr, fmt.Sprintf("unexpected arguments %v", extra))
	}
	if code, ok := checkRepairOpts(o, stdinIsTerminal(stdin), stderr); !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, log, !cfg.NoMigrate)
	if err != nil {
		fmt.Fprintln(stderr, "qqconnect repair: cannot open the database:", err)
		return app.StartupExit(err)
	}
	defer a.Close()
	return runRepair(ctx, a, own, stdin, stdinIsTerminal(stdin), stdout, stderr)
}

// repairArgsOf turns parsed options back into runRepair's arguments.
func repairArgsOf(o repairOpts) []string {
	var a []string
	if o.action != "" {
		a = append(a, o.action)
	}
	if o.dryRun {
		a = append(a, "--dry-run")
	}
	if o.yes {
		a = append(a, "--yes")
	}
	if o.appIDSet {
		a = append(a, "--appid="+o.appID)
	}
	if o.uid != 0 {
		a = append(a, "--uid="+strconv.FormatInt(o.uid, 10))
	}
	for _, kv := range o.set {
		a = append(a, "--set="+kv[0]+"="+kv[1])
	}
	return a
}

func stdinIsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}

func repairUsageError(stderr io.Writer, msg string) int {
	fmt.Fprintln(stderr, "qqconnect repair:", msg)
	ids := make([]string, 0, 8)
	for _, a := range repair.Actions() {
		ids = append(ids, a.ID)
	}
	fmt.Fprintf(stderr, repairUsage, strings.Join(ids, ", "))
	return 2
}

// checkRepairOpts validates the options that need no database.
func checkRepairOpts(o repairOpts, tty bool, stderr io.Writer) (int, bool) {
	if o.action == "" {
		return repairUsageError(stderr, "missing ACTION"), false
	}
	info, ok := repair.Action(o.action)
	if !ok {
		return repairUsageError(stderr, fmt.Sprintf("unknown action %q", o.action)), false
	}
	if info.Member && o.uid == 0 {
		return repairUsageError(stderr, o.action+" needs --uid N (the member's forum uid)"), false
	}
	if !info.Member && o.uid != 0 {
		return repairUsageError(stderr, "--uid is only for member-unbind, member-blacklist and member-unban"), false
	}
	if o.action == repair.SetAppKey && !o.appIDSet {
		return repairUsageError(stderr, "set-app-key needs --appid ID (the AppKey comes from stdin)"), false
	}
	if o.action != repair.SetAppKey && o.appIDSet {
		return repairUsageError(stderr, "--appid is only for set-app-key"), false
	}
	if info.EditsConnect() && len(o.set) == 0 {
		return repairUsageError(stderr, o.action+" needs --set KEY=VALUE (one or more; keys: "+connectKeyNames()+")"), false
	}
	if !info.EditsConnect() && len(o.set) > 0 {
		return repairUsageError(stderr, "--set is only for "+repair.ConnectSettings), false
	}
	if !o.dryRun && !o.yes && !tty {
		fmt.Fprintln(stderr, "qqconnect repair: stdin is not a terminal, so nobody can confirm: run with --yes to apply (or --dry-run to look)")
		return 2, false
	}
	return 0, true
}

// runRepair is `qqconnect repair ACTION [--dry-run] [--yes] [--appid ID] [--uid N] [--set K=V …]`
// (CONTRACT §1): it prints every value before → after (secrets masked),
// asks "确认执行? [y/N]" on a terminal unless --yes, and applies the action.
// set-app-key reads the AppKey from stdin (first line). Exit status: 0 done
// or dry run, 1 failed (nothing changed) or not confirmed, 2 bad usage
// (including no --yes when stdin is not a terminal).
func runRepair(ctx context.Context, a *app.App, args []string, stdin io.Reader, stdinIsTTY bool, stdout, stderr io.Writer) int {
	o, rest, err := splitRepairArgs(args)
	if err != nil {
		return repairUsageError(stderr, err.Error())
	}
	if len(rest) > 0 {
		return repairUsageError(stderr, fmt.Sprintf("unexpected arguments %v", rest))
	}
	if code, ok := checkRepairOpts(o, stdinIsTTY, stderr); !ok {
		return code
	}
	in := bufio.NewReader(stdin)
	args2 := repair.Args{}
	if o.action == repair.SetAppKey {
		key, err := readAppKey(in, stdin, stdinIsTTY, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "qqconnect repair: cannot read the AppKey from stdin:", err)
			return 2
		}
		args2 = repair.Args{AppID: o.appID, AppKey: key}
	}
	if o.uid != 0 {
		args2.UID = o.uid
	}
	if len(o.set) > 0 {
		args2.Connect = make(map[string]string, len(o.set))
		for _, kv := range o.set {
			args2.Connect[kv[0]] = kv[1]
		}
	}
	info, _ := repair.Action(o.action)
	r := app.NewRepairer(a)
	if c, ok := r.Cache.(interface{ Close() error }); ok {
		defer c.Close()
	}
	plan, err := r.Plan(ctx, o.action, args2)
	if err != nil {
		return repairFailed(stderr, err)
	}
	fmt.Fprintf(stdout, "repair %s: %s\n", o.action, info.Title())
	printPlan(stdout, plan)
	if o.dryRun {
		fmt.Fprintln(stdout, "dry run: nothing was changed / 仅预览，未做任何修改")
		return 0
	}
	if !o.yes {
		fmt.Fprint(stderr, "确认执行? [y/N] ")
		line, _ := in.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stderr, "not confirmed: nothing was changed / 已取消，未做任何修改")
			return 1
		}
	}
	entry, applied, err := r.Apply(ctx, o.action, args2, cliActor())
	if err != nil {
		return repairFailed(stderr, err)
	}
	if entry == nil {
		fmt.Fprintln(stdout, "nothing to change: nothing was written / 没有需要修改的值")
	} else {
		if !sameChanges(plan.Changes, applied.Changes) {
			fmt.Fprintln(stdout, "the values changed since the preview; applied:")
			printPlan(stdout, &repair.Plan{Changes: applied.Changes})
		}
		fmt.Fprintf(stdout, "done: audit entry #%d / 已完成，审计记录 #%d\n", entry.ID, entry.ID)
	}
	for _, w := range applied.Warnings {
		if !slices.Contains(plan.Warnings, w) {
			fmt.Fprintln(stdout, "warning:", w)
		}
	}
	return 0
}

func connectKeyNames() string {
	var ks []string
	for _, k := range repair.ConnectKeys() {
		ks = append(ks, k.Key)
	}
	return strings.Join(ks, ", ")
}

// readAppKey reads the first line of stdin; on a real terminal without echo.
func readAppKey(in *bufio.Reader, stdin io.Reader, tty bool, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && tty && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "AppKey: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return strings.TrimSpace(string(b)), err
	}
	if tty {
		fmt.Fprint(stderr, "AppKey: ")
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("empty input (pipe the AppKey in, e.g. `qqconnect repair set-app-key --appid ID --yes < keyfile`)")
	}
	return line, nil
}

func repairFailed(stderr io.Writer, err error) int {
	var re *repair.Error
	if errors.As(err, &re) {
		fmt.Fprintln(stderr, "qqconnect repair:", re.Error())
	} else {
		fmt.Fprintln(stderr, "qqconnect repair: failed:", err)
	}
	if repair.IsUsage(err) {
		return 2
	}
	if strings.Contains(err.Error(), "undo also failed") {
		// MyISAM: a step failed and so did putting the earlier ones back
		fmt.Fprintln(stderr, "WARNING: the change could not be rolled back completely; check with `qqconnect doctor` / 警告：未能完全回滚，请运行 qqconnect doctor 检查")
		return 1
	}
	fmt.Fprintln(stderr, "nothing was changed / 未做任何修改")
	return 1
}

func printPlan(w io.Writer, p *repair.Plan) {
	if len(p.Changes) == 0 {
		fmt.Fprintln(w, "  (no change / 无修改)")
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s  %s: %s → %s\n", c.Where, c.Key, c.Before, c.After)
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, x := range p.Warnings {
		fmt.Fprintln(w, "warning:", x)
	}
}

func sameChanges(a, b []repair.Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cliActor is the audit "who" of a command-line repair: the OS user.
func cliActor() repair.Actor {
	name := "cli"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return repair.Actor{Name: name, UserAgent: fmt.Sprintf("qqconnect/%s cli on %s (pid %d)", app.Version, host, os.Getpid()), Source: "cli"}
}
