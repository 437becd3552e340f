package admin

// The QQ互联 settings editor: the connect-settings repair's page. GET shows
// the current values as Discuz's own QQ互联 page does; its form posts to the
// generic preview (…/preview), which shows every change and the sealed
// confirmation form; RepairApply runs it.

import (
	"context"
	"strconv"

	"github.com/gin-gonic/gin"

	"qqconnect/admin/repair"
)

// connectEditor is the form of the settings editor.
type connectEditor struct {
	Fields   []connectField
	PluginOn bool
}

type connectField struct {
	repair.ConnectKey
	Value   string // shown (the stored value, or what was typed)
	Options []option
}

type option struct {
	Value    string
	Label    string
	Selected bool
}

// connectEditor builds the form from the current values; typed (a refused
// preview) replaces them, so the admin keeps what was entered.
func (a *Admin) connectEditor(ctx context.Context, typed map[string]string) (*connectEditor, error) {
	form, err := a.Repair.ConnectForm(ctx)
	if err != nil {
		return nil, err
	}
	ed := &connectEditor{PluginOn: form.PluginOn}
	for _, k := range form.Keys {
		f := connectField{ConnectKey: k, Value: form.Values[k.Key]}
		if v, ok := typed[k.Key]; ok {
			f.Value = v
		}
		switch k.Kind {
		case repair.KindGroup:
			f.Options = append(f.Options, option{Value: "0", Label: "普通用户 / default group"})
			for _, g := range form.Groups {
				label := g.Title + " (" + strconv.FormatInt(g.GroupID, 10) + ")"
				if g.RAdminID > 0 {
					label += " — 带管理权限 / has admin rights"
				}
				f.Options = append(f.Options, option{Value: strconv.FormatInt(g.GroupID, 10), Label: label})
			}
		case repair.KindCredit:
			for _, c := range form.Credits {
				label := "extcredits" + strconv.Itoa(c.Index)
				if c.Title != "" {
					label += " (" + c.Title + ")"
				}
				f.Options = append(f.Options, option{Value: strconv.Itoa(c.Index), Label: label})
			}
		}
		if f.Options != nil {
			f.Options = selectOption(f.Options, f.Value)
		}
		ed.Fields = append(ed.Fields, f)
	}
	return ed, nil
}

// selectOption marks the option of v; a stored value the list lacks (a
// deleted group, a credit turned off) is added, so saving the form does not
// change it unnoticed.
func selectOption(opts []option, v string) []option {
	for i := range opts {
		if opts[i].Value == v {
			opts[i].Selected = true
			return opts
		}
	}
	label := v + "（当前值，不可用 / the current value, not available）"
	if v == "" {
		label = "（未设置 / not set）"
	}
	return append([]option{{Value: v, Label: label, Selected: true}}, opts...)
}

// postedConnect reads the editor's fields from the POST: only the keys the
// form sent, so a key left untouched (an unset radio) stays as it is.
func postedConnect(c *gin.Context) map[string]string {
	out := map[string]string{}
	for _, k := range repair.ConnectKeys() {
		if vs, ok := c.GetPostFormArray(k.Key); ok && len(vs) > 0 {
			out[k.Key] = vs[0]
		}
	}
	return out
}
