package discuz

// qqconnect's own storage of the fragments it took out of Discuz's setting
// cache: JSON that keeps every PHP value's exact serialize() bytes.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Marshal encodes f for qqconnect's own storage: JSON (valid UTF-8, no
// binary), each PHP value kept as its exact serialize() bytes.
func (f *QQConnectFragments) Marshal() ([]byte, error) {
	if f == nil {
		return nil, errors.New("discuz: marshal nil fragments")
	}
	if err := f.scValidate(); err != nil {
		return nil, fmt.Errorf("discuz: marshal fragments: %w", err)
	}
	w := scWireFragments{Format: scFormat, Hooks: make([]scWireHook, 0, len(f.Hooks))}
	if f.HasVersion {
		w.Version = scWire(f.Version)
	}
	if f.HasSpacecp {
		w.Spacecp = scWire(f.Spacecp)
	}
	for _, h := range f.Hooks {
		names := []string{h.Root, h.Group, h.Script}
		for _, l := range h.Lists {
			names = append(names, l.Kind, l.Hook)
		}
		for _, n := range names {
			if !utf8.ValidString(n) {
				return nil, fmt.Errorf("discuz: marshal fragments: name %q is not valid UTF-8", n)
			}
		}
		wh := scWireHook{Root: h.Root, Group: h.Group, Script: h.Script, Lists: make([]scWireList, 0, len(h.Lists))}
		if h.HasModule {
			wh.Module = scWire(h.Module)
		}
		if h.HasAdminID {
			wh.AdminID = scWire(h.AdminID)
		}
		for _, l := range h.Lists {
			wl := scWireList{Kind: l.Kind, Hook: l.Hook, Pairs: make([]scWireValue, 0, len(l.Pairs))}
			for _, p := range l.Pairs {
				wl.Pairs = append(wl.Pairs, *scWire(p))
			}
			wh.Lists = append(wh.Lists, wl)
		}
		w.Hooks = append(w.Hooks, wh)
	}
	return json.Marshal(w)
}

// UnmarshalFragments decodes what Marshal wrote and checks it.
func UnmarshalFragments(data []byte) (*QQConnectFragments, error) {
	var w scWireFragments
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("discuz: unmarshal fragments: %w", err)
	}
	if dec.More() {
		return nil, errors.New("discuz: unmarshal fragments: trailing data")
	}
	if w.Format != scFormat {
		return nil, fmt.Errorf("discuz: unmarshal fragments: unknown format %d", w.Format)
	}
	var err error
	value := func(what string, wv *scWireValue) (Value, bool) {
		if wv == nil || err != nil {
			return Value{}, false
		}
		v, e := Unserialize(*wv)
		if e != nil {
			err = fmt.Errorf("discuz: unmarshal fragments: %s: %w", what, e)
		}
		return v, e == nil
	}
	f := &QQConnectFragments{}
	f.Version, f.HasVersion = value("version", w.Version)
	f.Spacecp, f.HasSpacecp = value("spacecp", w.Spacecp)
	for _, wh := range w.Hooks {
		h := HookFragment{Root: wh.Root, Group: wh.Group, Script: wh.Script}
		at := wh.Root + "[" + wh.Group + "][" + wh.Script + "]"
		h.Module, h.HasModule = value(at+" module", wh.Module)
		h.AdminID, h.HasAdminID = value(at+" adminid", wh.AdminID)
		for _, wl := range wh.Lists {
			l := HookList{Kind: wl.Kind, Hook: wl.Hook}
			for i := range wl.Pairs {
				p, _ := value(at+"["+wl.Kind+"]["+wl.Hook+"]", &wl.Pairs[i])
				l.Pairs = append(l.Pairs, p)
			}
			h.Lists = append(h.Lists, l)
		}
		f.Hooks = append(f.Hooks, h)
	}
	if err != nil {
		return nil, err
	}
	if err := f.scValidate(); err != nil {
		return nil, fmt.Errorf("discuz: unmarshal fragments: %w", err)
	}
	return f, nil
}

// scValidate checks that f can be merged into a setting array: known roots,
// non-empty names, no duplicates, and only ['qqconnect', …] pairs.
func (f *QQConnectFragments) scValidate() error {
	seen := map[[3]string]bool{}
	for _, h := range f.Hooks {
		at := h.Root + "[" + h.Group + "][" + h.Script + "]"
		if h.Root != scHookRoots[0] && h.Root != scHookRoots[1] {
			return fmt.Errorf("hook fragment %s: root must be hookscript or hookscriptmobile", at)
		}
		if h.Group == "" || h.Script == "" {
			return fmt.Errorf("hook fragment %s: empty group or script", at)
		}
		k := [3]string{h.Root, h.Group, h.Script}
		if seen[k] {
			return fmt.Errorf("hook fragment %s: duplicate", at)
		}
		seen[k] = true
		lists := map[[2]string]bool{}
		for _, l := range h.Lists {
			if !strings.HasSuffix(l.Kind, "funcs") || l.Hook == "" {
				return fmt.Errorf("hook fragment %s: bad hook list %q/%q", at, l.Kind, l.Hook)
			}
			if lists[[2]string{l.Kind, l.Hook}] {
				return fmt.Errorf("hook fragment %s: duplicate hook list %s[%s]", at, l.Kind, l.Hook)
			}
			lists[[2]string{l.Kind, l.Hook}] = true
			if len(l.Pairs) == 0 {
				return fmt.Errorf("hook fragment %s[%s][%s]: no pairs", at, l.Kind, l.Hook)
			}
			for _, p := range l.Pairs {
				if !scIsQQPair(p) {
					return fmt.Errorf("hook fragment %s[%s][%s]: not a ['qqconnect', method] pair", at, l.Kind, l.Hook)
				}
			}
		}
	}
	return nil
}

// The Marshal format. Each PHP value is its serialize() text as a JSON
// string, or {"base64": …} when those bytes are not valid UTF-8 (GBK sites).
type scWireFragments struct {
	Format  int          `json:"format"`
	Version *scWireValue `json:"version,omitempty"`
	Spacecp *scWireValue `json:"spacecp,omitempty"`
	Hooks   []scWireHook `json:"hooks"`
}

type scWireHook struct {
	Root    string       `json:"root"`
	Group   string       `json:"group"`
	Script  string       `json:"script"`
	Module  *scWireValue `json:"module,omitempty"`
	AdminID *scWireValue `json:"adminid,omitempty"`
	Lists   []scWireList `json:"lists"`
}

type scWireList struct {
	Kind  string        `json:"kind"`
	Hook  string        `json:"hook"`
	Pairs []scWireValue `json:"pairs"`
}

type scWireValue []byte

func scWire(v Value) *scWireValue {
	w := scWireValue(Serialize(v))
	return &w
}

func (w scWireValue) MarshalJSON() ([]byte, error) {
	if utf8.Valid(w) {
		return json.Marshal(string(w))
	}
	return json.Marshal(map[string]string{"base64": base64.StdEncoding.EncodeToString(w)})
}

func (w *scWireValue) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*w = scWireValue(s)
		return nil
	}
	var o struct {
		Base64 *string `json:"base64"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return err
	}
	if o.Base64 == nil {
		return errors.New("PHP value: want a string or {\"base64\": …}")
	}
	b, err := base64.StdEncoding.DecodeString(*o.Base64)
	if err != nil {
		return err
	}
	*w = b
	return nil
}
