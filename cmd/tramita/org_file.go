package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/tramita/tramita/core"
	"go.yaml.in/yaml/v3"
)

// errUnknownKeys carries the unknown keys of an organization file, one
// message per key, each in pt-BR then English.
type errUnknownKeys []string

func (e errUnknownKeys) Error() string { return strings.Join(e, "\n") }

func (e errUnknownKeys) Unwrap() error { return core.ErrInvalidOrg }

// checkOrgKeys walks the YAML of an organization file against the fields
// of core.OrgSpec and returns one message per key the file has where no
// field takes it: the file and line, the place (types[2]), the key, the
// keys allowed there and the nearest one when it looks like a typo. The
// decoder's own error for this names Go types ("field visibilty not found
// in type struct { Code string "yaml:\"code\"" …"), which says nothing to
// whoever edits the file.
func checkOrgKeys(file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil // a syntax error: the decoder reports it with its line
	}
	var msgs []string
	walkOrgKeys(file, &doc, reflect.TypeFor[core.OrgSpec](), "", &msgs)
	if len(msgs) == 0 {
		return nil
	}
	return errUnknownKeys(msgs)
}

func walkOrgKeys(file string, n *yaml.Node, t reflect.Type, path string, msgs *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkOrgKeys(file, c, t, path, msgs)
		}
		return
	case yaml.AliasNode:
		if n.Alias != nil {
			walkOrgKeys(file, n.Alias, t, path, msgs)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type error: the decoder reports it
		}
		fields := map[string]reflect.Type{}
		var names []string
		yamlFields(t, fields, &names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" { // a merge key: its mapping is checked where it is defined
				continue
			}
			ft, ok := fields[k.Value]
			if !ok {
				*msgs = append(*msgs, unknownKeyMessage(file, k.Line, path, k.Value, names))
				continue
			}
			walkOrgKeys(file, v, ft, joinPath(path, k.Value), msgs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			walkOrgKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), msgs)
		}
	}
}

// yamlFields adds the YAML keys of struct t and their types, in order,
// with the fields of ",inline" structs in place (as the decoder reads them).
func yamlFields(t reflect.Type, fields map[string]reflect.Type, names *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			yamlFields(f.Type, fields, names)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
		*names = append(*names, name)
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// unknownKeyMessage says, in pt-BR then English, where key is and what is
// allowed there.
func unknownKeyMessage(file string, line int, path, key string, allowed []string) string {
	where, whereEn := "no início do arquivo", "at the top of the file"
	if path != "" {
		where, whereEn = "em "+path, "in "+path
	}
	list := strings.Join(allowed, ", ")
	pt := fmt.Sprintf("%s:%d: chave desconhecida %q %s; as chaves permitidas aqui são: %s", file, line, key, where, list)
	en := fmt.Sprintf("%s:%d: unknown key %q %s; the keys allowed here are: %s", file, line, key, whereEn, list)
	if near := nearestKey(key, allowed); near != "" {
		pt += fmt.Sprintf(" (você quis dizer %q?)", near)
		en += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return pt + "\n" + en
}

// nearestKey returns the allowed key closest to key when it is close enough
// to be a typo (at most a third of its letters apart, or the same but for
// case, accents left aside), else "".
func nearestKey(key string, allowed []string) string {
	best, bestDist := "", -1
	k := strings.ToLower(key)
	for _, a := range allowed {
		d := levenshtein.ComputeDistance(k, a)
		if bestDist < 0 || d < bestDist {
			best, bestDist = a, d
		}
	}
	if bestDist < 0 || bestDist > max(1, len([]rune(key))/3) {
		return ""
	}
	return best
}
