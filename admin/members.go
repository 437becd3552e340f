package admin

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"qqconnect/admin/repair"
	"qqconnect/models"
)

type membersView struct {
	Query   string
	Results []models.MemberBinding
	Reauth  bool
	// Without a query: the list of bindings, a page at a time.
	List       []models.BindingRow
	Registered bool // only the accounts created through QQ
	Page       int
	Prev, Next int
	More       bool
}

const bindingsPerPage = 50

// Members is GET /admin/members?q=: find a member by username, uid or
// openid; without q, the members bound to QQ (?registered=1: created
// through QQ), newest first.
func (a *Admin) Members(c *gin.Context) {
	v := membersView{Query: c.Query("q"), Reauth: !a.freshlyAuthenticated(a.current(c))}
	if v.Query != "" {
		res, err := a.Store.SearchMembers(c.Request.Context(), v.Query, 20)
		if err != nil {
			a.fail(c, err)
			return
		}
		v.Results = res
	} else {
		v.Registered = c.Query("registered") == "1"
		if p, err := strconv.Atoi(c.Query("page")); err == nil && p > 0 && p < 10000 {
			v.Page = p
		}
		list, more, err := a.Store.ListBindings(c.Request.Context(), v.Registered, bindingsPerPage, v.Page*bindingsPerPage)
		if err != nil {
			a.fail(c, err)
			return
		}
		v.List, v.More, v.Prev, v.Next = list, more, v.Page-1, v.Page+1
	}
	a.render(c, http.StatusOK, "admin_members.html", "会员绑定 / Member bindings", v, nil)
}

// MemberAction is POST /admin/members/:uid/unbind, …/blacklist and
// …/unban: the admin unbind of Discuz (only for conisregister=0), "unbind +
// ban this QQ" and lifting the ban; each audited and undoable.
func (a *Admin) MemberAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		uid, err := strconv.ParseInt(c.Param("uid"), 10, 64)
		if err != nil || uid <= 0 {
			a.refuse(c, http.StatusBadRequest, "会员编号无效", "Invalid member id.")
			return
		}
		s := a.current(c)
		if ok, err := a.reauth(c, s); err != nil {
			a.fail(c, err)
			return
		} else if !ok {
			a.refuse(c, http.StatusForbidden, "请重新输入您的密码（密码错误）", "Re-enter your password (wrong password).")
			return
		}
		entry, _, err := a.Repair.Apply(c.Request.Context(), action, repair.Args{UID: uid}, a.actor(c, s))
		if err != nil {
			a.fail(c, err)
			return
		}
		a.flash(c, "已完成 / Done")
		if entry != nil {
			c.Redirect(http.StatusSeeOther, "/admin/audit/"+strconv.FormatInt(entry.ID, 10))
			return
		}
		c.Redirect(http.StatusSeeOther, "/admin/members?q="+strconv.FormatInt(uid, 10))
	}
}
