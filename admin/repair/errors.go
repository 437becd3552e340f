package repair

import "errors"

// Error is a repair failure with a Chinese and an English message, safe to
// show to the admin (it never holds a secret). Test the kind with
// errors.Is(err, ErrBadArgs) etc.: every specific error is an instance of
// one of the sentinels below.
type Error struct {
	Code string // stable id, e.g. "bad_args"
	ZH   string
	EN   string
	kind *Error // the sentinel this error is an instance of (nil for a sentinel)
	err  error  // the cause, if any
}

func (e *Error) Error() string {
	msg := e.ZH + " / " + e.EN
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

// Is makes errors.Is(specific, sentinel) true.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (e == t || e.kind == t)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.err }

// with makes a specific error of the sentinel's kind.
func (e *Error) with(zh, en string) *Error {
	return &Error{Code: e.Code, ZH: zh, EN: en, kind: e}
}

// wrap makes an error of the sentinel's kind with its own message and a cause.
func (e *Error) wrap(err error) *Error {
	return &Error{Code: e.Code, ZH: e.ZH, EN: e.EN, kind: e, err: err}
}

// wrapCause attaches a cause to a specific error made by with.
func (e *Error) wrapCause(err error) *Error {
	e.err = err
	return e
}

// The kinds of repair errors.
var (
	ErrUnknownAction  = &Error{Code: "unknown_action", ZH: "未知的修复操作", EN: "unknown repair action"}
	ErrBadArgs        = &Error{Code: "bad_args", ZH: "参数无效", EN: "invalid arguments"}
	ErrNotInstalled   = &Error{Code: "not_installed", ZH: "QQ互联插件（qqconnect）未安装：请先在 Discuz 后台 应用 → 插件 中安装", EN: "the QQ Connect plugin (qqconnect) is not installed: install it first in Discuz's admin panel (应用 → 插件)"}
	ErrNoSettingCache = &Error{Code: "no_setting_cache", ZH: "pre_common_syscache 中没有 setting 缓存行：请先在 Discuz 后台运行 工具 → 更新缓存", EN: "pre_common_syscache has no `setting` row: run Discuz's 工具 → 更新缓存 first"}
	ErrBrokenData     = &Error{Code: "broken_data", ZH: "论坛数据已损坏，无法自动修复", EN: "the forum data is damaged and cannot be repaired automatically"}
	ErrConflict       = &Error{Code: "conflict", ZH: "这些值在该操作之后已被修改，撤销会覆盖别人的修改", EN: "these values changed after the action; undoing it would overwrite someone else's change"}
	ErrAlreadyUndone  = &Error{Code: "already_undone", ZH: "该操作已被撤销过", EN: "this change was already undone"}
	ErrNotUndoable    = &Error{Code: "not_undoable", ZH: "该审计记录没有可撤销的数据", EN: "this audit entry has nothing that can be undone"}
	ErrNoAuditEntry   = &Error{Code: "no_audit_entry", ZH: "没有这条审计记录", EN: "no such audit entry"}

	// The member actions (member-unbind, member-blacklist, member-unban).
	ErrNoMember           = &Error{Code: "no_member", ZH: "没有这个会员", EN: "no such member"}
	ErrNotBound           = &Error{Code: "not_bound", ZH: "该会员没有绑定QQ", EN: "this member is not bound to QQ"}
	ErrRegisteredByQQ     = &Error{Code: "registered_by_qq", ZH: "该账号是通过QQ注册的（conisregister=1），按 Discuz 的规则管理员不能解除绑定：会员需在个人设置中设置密码后自行解绑；若要禁止此QQ，请用“解绑并禁止此QQ”", EN: "this account was created through QQ (conisregister=1), and Discuz does not let an admin unbind it: the member must set a password and unbind in their own settings; to ban the QQ, use “unbind and ban this QQ”"}
	ErrAlreadyBlacklisted = &Error{Code: "already_blacklisted", ZH: "该QQ已在黑名单中", EN: "this QQ is already blacklisted"}
	ErrNotBlacklisted     = &Error{Code: "not_blacklisted", ZH: "该会员没有被禁止的QQ", EN: "this member has no banned QQ"}
)

// IsUsage reports whether err is the caller's mistake (exit status 2 of the
// CLI): an unknown action or bad arguments.
func IsUsage(err error) bool {
	return errors.Is(err, ErrUnknownAction) || errors.Is(err, ErrBadArgs)
}
