package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// aliasNodes bounds the extra work aliases may cause: values reached
// through aliases, beyond the nodes written in the document.
const aliasNodes = 100_000

var durationType = reflect.TypeOf(time.Duration(0))

// decoder fills a value from a yaml.Node tree, by the fields' yaml tags. It
// is strict: unknown and repeated keys and wrongly typed values are
// problems, each with its line. It records the line of every path it sees.
type decoder struct {
	probs  []lineProblem
	lines  map[string]int // path ("queues.2.name") → line
	budget int
}

// lineProblem is a problem found while decoding, at a known line.
type lineProblem struct {
	line int
	msg  string
}

func newDecoder(root *yaml.Node) *decoder {
	return &decoder{lines: map[string]int{}, budget: countNodes(root) + aliasNodes}
}

// countNodes counts the nodes written in the document (aliases are not
// followed).
func countNodes(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k)
	}
	return c
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.probs = append(d.probs, lineProblem{line: n.Line, msg: fmt.Sprintf(format, args...)})
}

// deref follows aliases and charges the budget; nil means stop.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	d.budget--
	if d.budget == 0 {
		d.fail(n, "document too large (or too many aliases)")
	}
	if d.budget <= 0 {
		return nil
	}
	return n
}

// value decodes n into v. name is the key it sits under, for messages.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path, name string) {
	if n = d.deref(n); n == nil {
		return
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = n.Line
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // absent: zero value
	}
	if v.Type() == durationType {
		d.duration(n, v, name)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path, name)
	case reflect.Slice:
		d.sequence(n, v, path, name)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, "%s must be a single value, not %s", name, kindName(n))
			return
		}
		if !utf8.ValidString(n.Value) {
			d.fail(n, "%s is not valid UTF-8 text", name)
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, "%s must be true or false", name)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.fail(n, "%s must be a whole number", name)
			return
		}
		v.SetInt(int64(i))
	default:
		panic("config: no decoder for " + v.Type().String())
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, name string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, "%s must be a duration such as 30s or 2m", name)
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(n, "%s: %q is not a duration; write e.g. 30s or 2m", name, n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path, name string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "%s must be a list, not %s", name, kindName(n))
		return
	}
	if len(n.Content) == 0 {
		return // an empty list is nil, as if left out
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.value(item, s.Index(i), path+"."+strconv.Itoa(i), name+"["+strconv.Itoa(i)+"]")
		if d.budget <= 0 {
			return
		}
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path, name string) {
	if n.Kind != yaml.MappingNode {
		what := name
		if what == "" {
			what = "the top level"
		}
		d.fail(n, "%s must be a mapping of keys to values, not %s", what, kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.deref(n.Content[i]), n.Content[i+1]
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, "a key in %s must be a plain name", where(name))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.fail(k, "merge keys (<<) are not supported")
			continue
		}
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, "unknown key %q %s%s", k.Value, where(name), suggest(k.Value, fields))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, "key %q appears twice %s (first at line %d)", k.Value, where(name), first)
			continue
		}
		seen[k.Value] = k.Line
		p := k.Value
		if path != "" {
			p = path + "." + k.Value
		}
		d.lines[p] = k.Line
		d.value(val, v.Field(idx), p, k.Value)
		if d.budget <= 0 {
			return
		}
	}
}

func where(name string) string {
	if name == "" {
		return "at the top level"
	}
	return "in " + name
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// fieldsOf maps yaml key names to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

// suggest proposes the known key closest to a misspelt one.
func suggest(key string, fields map[string]int) string {
	best, bestDist := "", 3
	for k := range fields {
		if dist := editDistance(key, k); dist < bestDist || dist == bestDist && best != "" && k < best {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance, for short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
