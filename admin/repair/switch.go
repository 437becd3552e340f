package repair

// qqconnect's own switches (kept in its qqconnect_meta table, read by the
// login with the QQ settings): the QQ avatar import. They are repair actions
// so they get what every change of the toolbox gets: a preview, the
// password typed again, one unit of work with the audit row, and undo.

import (
	"context"

	"gorm.io/gorm"

	"qqconnect/discuz"
	"qqconnect/models"
)

// Switch action ids.
const (
	AvatarImportOn  = "avatar-import-on"
	AvatarImportOff = "avatar-import-off"
)

// ErrAvatarDir is an avatar import switched on where qqconnect cannot write
// the forum's avatar files.
var ErrAvatarDir = &Error{Code: "avatar_dir", ZH: "qqconnect 无法写入论坛的头像目录，不能开启QQ头像导入", EN: "qqconnect cannot write the forum's avatar directory, so the QQ avatar import cannot be switched on"}

func isSwitchAction(action string) bool {
	return action == AvatarImportOn || action == AvatarImportOff
}

// avatarDirReady says why the avatar import cannot work here, nil when it can.
func (r *Repairer) avatarDirReady() error {
	if r.AvatarDir == "" {
		return ErrAvatarDir.with(ErrAvatarDir.ZH+"："+r.AvatarNote, ErrAvatarDir.EN+": "+r.AvatarNote)
	}
	if err := (&discuz.AvatarStore{Dir: r.AvatarDir}).Check(); err != nil {
		zh := ErrAvatarDir.ZH + "：" + err.Error() + "。请让运行 qqconnect 的用户可以写入该目录（与 PHP 同一用户或同一用户组，目录有组写权限）"
		en := ErrAvatarDir.EN + ": " + err.Error() + ". Let the user qqconnect runs as write there (the PHP user, or its group with the group write bit on the directory)"
		return ErrAvatarDir.with(zh, en)
	}
	return nil
}

// buildSwitch plans the switch's meta row; turning the import on first
// checks that the avatar directory takes files.
func (r *Repairer) buildSwitch(ctx context.Context, tx *gorm.DB, action string) (*work, error) {
	w := &work{snap: snapshot{Format: snapshotFormat, Action: action}}
	on := action == AvatarImportOn
	plan := &Plan{Action: action}
	if on {
		if err := r.avatarDirReady(); err != nil {
			return nil, err
		}
		plan.Notes = append(plan.Notes, "头像目录 / avatar directory: "+r.AvatarDir+"（"+r.AvatarNote+"）")
		plan.Warnings = append(plan.Warnings, "开启后，QQ注册、绑定或登录的会员若没有头像（avatarstatus=0 且没有头像文件），其QQ头像会写成 Discuz 头像的三个尺寸并置 avatarstatus=1；"+
			"已有头像的会员不受影响。这样设置的头像不会获得 Discuz 的“设置头像”积分（与云平台时代的QQ头像相同） / "+
			"once on, a member who registers, binds or logs in with QQ and has no avatar (avatarstatus=0 and no avatar file) gets the QQ avatar "+
			"as Discuz's three avatar sizes and avatarstatus=1; members with an avatar are untouched. Such an avatar earns no Discuz “set avatar” credit (as the cloud era's QQ avatar did not)")
	}
	cur, ok, err := r.Store.MetaIn(ctx, tx, models.MetaAvatarImport)
	if err != nil {
		return nil, err
	}
	want := "0"
	if on {
		want = "1"
	}
	if (ok && cur == "1") == on {
		plan.Notes = append(plan.Notes, "QQ头像导入已是"+onOff(on)+"：无需修改 / the QQ avatar import is already "+onOffEN(on))
	} else {
		w.snap.Meta = append(w.snap.Meta, metaOp{Key: models.MetaAvatarImport, Before: opt{ok, cur}, After: opt{true, want}})
	}
	plan.Changes = r.changes(&w.snap)
	if w.snap.empty() {
		plan.Notes = append(plan.Notes, "没有需要修改的值 / nothing to change")
	}
	w.plan = plan
	return w, nil
}

// checkSwitchUndo refuses an undo that would switch the import back on
// where the avatar directory no longer takes files.
func (r *Repairer) checkSwitchUndo(w *work) error {
	for _, op := range w.snap.Meta {
		if op.Key == models.MetaAvatarImport && op.After.Exists && op.After.Value == "1" {
			return r.avatarDirReady()
		}
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "开启"
	}
	return "关闭"
}

func onOffEN(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
