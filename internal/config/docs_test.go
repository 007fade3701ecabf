package config

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// The configuration reference, docs/configuration.md, documents every key
// in a table row whose first cell names it by path ("queues[].wrap_up").
// These tests keep it true: every key the file may hold has a row, every
// row names a key that exists, defaults and allowed values are the ones
// Parse uses, and the example YAML blocks of docs/*.md parse and validate.

var docsDir = filepath.Join("..", "..", "docs")

// keyPaths returns the path of every key the YAML file may hold, found
// from the yaml tags as the decoder finds them: "listen", "listen.http",
// "users", "users[].name", …
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		p := tag
		if prefix != "" {
			p = prefix + "." + tag
		}
		out = append(out, p)
		switch ft := f.Type; {
		case ft.Kind() == reflect.Struct:
			out = append(out, keyPaths(ft, p)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, keyPaths(ft.Elem(), p+"[]")...)
		}
	}
	return out
}

// refRow is one table row of the reference.
type refRow struct {
	line  int
	keys  []string // the backquoted names of the first cell
	cells []string
}

var backquoted = regexp.MustCompile("`([^`]*)`")

// referenceRows reads the table rows of docs/configuration.md whose first
// cell holds backquoted names.
func referenceRows(t *testing.T) []refRow {
	t.Helper()
	f, err := os.Open(filepath.Join(docsDir, "configuration.md"))
	if err != nil {
		t.Fatalf("the configuration reference: %v", err)
	}
	defer f.Close()
	var rows []refRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		r := refRow{line: n, cells: cells}
		for _, m := range backquoted.FindAllStringSubmatch(cells[0], -1) {
			r.keys = append(r.keys, m[1])
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("docs/configuration.md has no reference rows")
	}
	return rows
}

func TestDocsReferenceEveryKey(t *testing.T) {
	rows := referenceRows(t)
	known := map[string]bool{}
	for _, k := range keyPaths(reflect.TypeOf(Config{}), "") {
		known[k] = true
	}
	documented := map[string]bool{}
	for _, r := range rows {
		for _, k := range r.keys {
			if !known[k] {
				t.Errorf("docs/configuration.md:%d documents %q, which is not a configuration key", r.line, k)
			}
			documented[k] = true
		}
	}
	for _, k := range keyPaths(reflect.TypeOf(Config{}), "") {
		if !documented[k] {
			t.Errorf("docs/configuration.md does not document the key %q: add a table row whose first cell is `%s`", k, k)
		}
	}
}

func TestDocsReferenceDefaults(t *testing.T) {
	rowOf := map[string]refRow{}
	for _, r := range referenceRows(t) {
		if len(r.keys) == 1 && len(r.cells) >= 4 {
			rowOf[r.keys[0]] = r
		}
	}
	// key → what its default cell must say
	defaults := map[string][]string{
		"listen.http":               {DefaultHTTP},
		"listen.sip":                {DefaultSIP},
		"data_dir":                  {DefaultDataDir},
		"database":                  {DatabaseFile},
		"not_ready_reasons":         {strings.Join(DefaultNotReadyReasons, ", ")},
		"assist_ring_time":          {DefaultAssistRingTime.String()},
		"phone.help_key":            {DefaultHelpKey},
		"queues[].strategy":         {string(DefaultStrategy)},
		"queues[].ring_timeout":     {DefaultRingTimeout.String()},
		"queues[].wrap_up":          {DefaultWrapUp.String()},
		"queues[].on_max_wait":      {DefaultOnMaxWait, OnMaxWaitOverflow},
		"users[].listen_in":         {"false"},
		"queues[].record":           {"false"},
		"webrtc.port_min":           {"0"},
		"webrtc.port_max":           {"0"},
		"queues[].max_wait":         {"0"},
		"dids[].priority":           {"0"},
		"trunks[].outbound":         {"empty"},
		"listen.sip_tls":            {"empty"},
		"webrtc.ice_servers":        {"none"},
		"webrtc.public_ips":         {"none"},
		"dial_plan.allow":           {"none"},
		"users[].sip_password":      {"empty"},
		"queues[].music":            {"empty"},
		"queues[].overflow_to":      {"empty"},
		"trunks[].username":         {"empty"},
		"trunks[].register":         {"false"},
		"trunks[].register_expires": {DefaultRegisterExpires.String()},
		"trunks[].registrar":        {"outbound"},
		"trunks[].caller_id":        {"empty"},
		"users[].display":           {"empty"},
		"webrtc.ice_servers[].urls": {"required"},
	}
	for key, wants := range defaults {
		r, ok := rowOf[key]
		if !ok {
			t.Errorf("docs/configuration.md has no row of its own for %q", key)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(r.cells[2], w) {
				t.Errorf("docs/configuration.md:%d: the default of %s is given as %q; Parse uses %q", r.line, key, r.cells[2], w)
			}
		}
	}
	// key → the values it accepts, each of which its row must name
	values := map[string][]string{
		"queues[].strategy":    {string(LongestIdle), string(RoundRobin), string(FewestCalls), string(RingAll)},
		"queues[].on_max_wait": {OnMaxWaitHangup, OnMaxWaitOverflow},
		"users[].roles":        {string(RoleAgent), string(RoleSupervisor), string(RoleAdmin)},
	}
	for key, wants := range values {
		r := rowOf[key]
		for _, w := range wants {
			if !strings.Contains(strings.Join(r.cells, " "), "`"+w+"`") {
				t.Errorf("docs/configuration.md:%d: the row of %s does not name the value `%s`", r.line, key, w)
			}
		}
	}
}

// exampleMarker starts a YAML block of the docs that must be a whole,
// valid configuration.
const exampleMarker = "# example"

// yamlBlock is one fenced ```yaml block of a Markdown file.
type yamlBlock struct {
	file string
	line int // of the block's first line
	text string
}

func yamlBlocks(t *testing.T, file string) []yamlBlock {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []yamlBlock
	var cur *yamlBlock
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```yaml":
			cur = &yamlBlock{file: file, line: i + 2}
		case cur != nil && trimmed == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Errorf("%s:%d: a ```yaml block is never closed", file, cur.line-1)
	}
	return out
}

func TestDocsExamplesParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(docsDir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	perFile := map[string]int{}
	for _, file := range files {
		for _, blk := range yamlBlocks(t, file) {
			if !strings.HasPrefix(strings.TrimSpace(blk.text), exampleMarker) {
				continue
			}
			perFile[filepath.Base(file)]++
			if _, err := Parse(filepath.Join(t.TempDir(), "example.yaml"), []byte(blk.text)); err != nil {
				t.Errorf("%s:%d: the example does not parse and validate:\n%v", file, blk.line, err)
			}
		}
	}
	for _, name := range []string{"configuration.md", "sip-trunks.md", "nat.md", "tls.md"} {
		if perFile[name] == 0 {
			t.Errorf("docs/%s has no ```yaml block starting with %q", name, exampleMarker)
		}
	}
}

// keyMention is a backquoted key path in running text: `listen.sip`,
// `trunks[].sources`.
var keyMention = regexp.MustCompile("`([a-z_]+(?:\\[\\])?(?:\\.[a-z_]+(?:\\[\\])?)+)`")

func TestDocsMentionOnlyKeysThatExist(t *testing.T) {
	known := map[string]bool{}
	top := map[string]bool{}
	for _, k := range keyPaths(reflect.TypeOf(Config{}), "") {
		known[k] = true
		if !strings.ContainsAny(k, ".[") {
			top[k] = true
		}
	}
	for _, name := range []string{"configuration.md", "sip-trunks.md", "nat.md", "tls.md"} {
		b, err := os.ReadFile(filepath.Join(docsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, m := range keyMention.FindAllStringSubmatch(line, -1) {
				first := strings.FieldsFunc(m[1], func(r rune) bool { return r == '.' || r == '[' })[0]
				if top[first] && !known[m[1]] {
					t.Errorf("docs/%s:%d mentions %q, which is not a configuration key", name, i+1, m[1])
				}
			}
		}
	}
}

// TestDocsDemoSection keeps the reference's account of the demo's
// configuration in step with demo.yaml: its queues (and which record),
// numbers and trunk sources.
func TestDocsDemoSection(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(docsDir, "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## The demo's configuration")
	if !ok {
		t.Fatal(`docs/configuration.md has no "## The demo's configuration" section`)
	}
	demo := Demo()
	for _, q := range demo.Queues {
		recorded := strings.Contains(section, "`"+q.Name+"` (recorded)")
		switch {
		case !strings.Contains(section, "`"+q.Name+"`"):
			t.Errorf("the demo section does not name queue %s", q.Name)
		case q.Record != recorded:
			t.Errorf("the demo section says queue %s is recorded: %v; demo.yaml: %v", q.Name, recorded, q.Record)
		}
	}
	for _, d := range demo.DIDs {
		if !strings.Contains(section, "`"+d.Number+"`") {
			t.Errorf("the demo section does not name DID %s", d.Number)
		}
	}
	for _, u := range demo.Users {
		if !strings.Contains(section, u.Name) {
			t.Errorf("the demo section does not mention user %s", u.Name)
		}
	}
}
