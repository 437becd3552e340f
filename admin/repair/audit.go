package repair

// The audit rows a repair writes: masked before/after for display and the
// sealed snapshot that undo restores.

import (
	"context"
	"encoding/json"
	"strings"

	"qqconnect/models"
)

// newEntry builds the audit row of w: masked changes, sealed snapshot.
func (r *Repairer) newEntry(action string, actor Actor, w *work, undoOf *int64) (*models.AuditEntry, error) {
	e := r.baseEntry(action, actor, w.plan)
	e.UndoOf = undoOf
	if !w.snap.empty() {
		plain, err := json.Marshal(&w.snap)
		if err != nil {
			return nil, err
		}
		if e.UndoData, err = seal(r.Authkey, action, plain); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// beforeValue is a Change without its "after" value (audit before_json).
type beforeValue struct {
	Where  string `json:"where"`
	Key    string `json:"key"`
	Before string `json:"before"`
	Secret bool   `json:"secret,omitempty"`
}

// baseEntry builds an audit row: before_json lists every changed value as
// it was ([]Change with "after" left out), after_json the full masked
// Changes (before and after); both decode into []Change.
func (r *Repairer) baseEntry(action string, actor Actor, plan *Plan) *models.AuditEntry {
	before, after := []beforeValue{}, []Change{}
	var where []string
	if plan != nil {
		for _, c := range plan.Changes {
			before = append(before, beforeValue{c.Where, c.Key, c.Before, c.Secret})
			after = append(after, c)
			if !contains(where, c.Where) {
				where = append(where, c.Where)
			}
		}
	}
	bj, _ := json.Marshal(before)
	aj, _ := json.Marshal(after)
	target := pluginID
	if len(where) > 0 {
		target = strings.Join(where, ", ")
	}
	if plan != nil && plan.Target != "" {
		target = plan.Target
	}
	return &models.AuditEntry{
		At: r.now().Unix(), ActorUID: actor.UID, ActorName: cut(actor.Name, 64), ActorIP: cut(actor.IP, 45),
		UserAgent: cut(actor.UserAgent, 255), Source: cut(actor.Source, 8), Action: action, Target: cut(target, 255),
		BeforeJSON: string(bj), AfterJSON: string(aj), Result: "ok",
	}
}

// auditFailure records a unit of work that failed (nothing changed): best
// effort, outside the failed unit.
func (r *Repairer) auditFailure(ctx context.Context, action string, actor Actor, w *work, undoOf *int64, cause error) {
	var plan *Plan
	if w != nil {
		plan = w.plan
	}
	e := r.baseEntry(action, actor, plan)
	e.Result, e.UndoOf = "failed", undoOf
	if err := r.Store.InsertAudit(context.WithoutCancel(ctx), nil, e); err != nil {
		r.log().Error("could not record a failed repair in the audit log", "action", action, "err", err, "cause", cause)
	}
}
