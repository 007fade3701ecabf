package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults applied by Parse to keys the file leaves out.
const (
	DefaultStrategy       = LongestIdle
	DefaultRingTimeout    = 20 * time.Second
	DefaultWrapUp         = 30 * time.Second
	DefaultOnMaxWait      = "hangup" // "overflow" when overflow_to is set
	DefaultAssistRingTime = 30 * time.Second
	// DefaultRegisterExpires is the registration lifetime earshot asks a
	// carrier for when trunks[].register_expires is not set.
	DefaultRegisterExpires = 5 * time.Minute
	// MinRegisterExpires and MaxRegisterExpires bound register_expires.
	MinRegisterExpires = time.Minute
	MaxRegisterExpires = 24 * time.Hour
	DefaultHTTP        = "127.0.0.1:8080"
	DefaultSIP         = "127.0.0.1:5060"
	DefaultDataDir     = "./data"
	// DatabaseFile is the SQLite file's name inside the data folder.
	DatabaseFile = "earshot.db"
)

// DefaultNotReadyReasons are offered when the file lists none.
var DefaultNotReadyReasons = []string{"Break", "Lunch", "Meeting", "Training"}

// maxFileSize bounds what Load reads.
const maxFileSize = 16 << 20

// Load reads, parses and validates the configuration file at path. A
// relative data_dir is taken from the file's folder.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, Errors{{File: path, Msg: "file larger than 16 MiB"}}
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	return parse(path, dir, data)
}

// Parse parses and validates a YAML configuration; name is the file name
// used in messages, and its folder is where a relative data_dir starts.
// Every problem found is reported, each as "name:line: reason", in an
// Errors value.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, filepath.Dir(name), data)
}

func parse(name, dir string, data []byte) (*Config, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	d := newDecoder(root)
	if root != nil {
		d.value(root, reflect.ValueOf(c).Elem(), "", "")
	}
	if len(d.probs) > 0 {
		errs := make(Errors, 0, len(d.probs))
		for _, p := range d.probs {
			errs = append(errs, &Error{File: name, Line: p.line, Msg: p.msg})
		}
		return nil, finish(errs)
	}
	c.applyDefaults(d.lines, dir)
	if probs := c.problems(); len(probs) > 0 {
		errs := make(Errors, 0, len(probs))
		for _, p := range probs {
			errs = append(errs, &Error{File: name, Line: lineOf(d.lines, p.path), Msg: p.msg})
		}
		return nil, finish(errs)
	}
	return c, nil
}

// finish sorts problems into file order and bounds their number.
func finish(errs Errors) Errors {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	if len(errs) > maxErrors {
		more := len(errs) - maxErrors
		errs = append(errs[:maxErrors:maxErrors], &Error{File: errs[0].File, Msg: fmt.Sprintf("and %d more problems", more)})
	}
	return errs
}

// lineOf finds the line of path, or of its nearest recorded parent (a key
// that is missing is reported where its parent is).
func lineOf(lines map[string]int, path string) int {
	for {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return lines[""]
		}
		path = path[:i]
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses one YAML document into its root node; nil means an
// empty document.
func parseYAML(name string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library reports some malformed input by panicking.
		if r := recover(); r != nil {
			root, err = nil, Errors{{File: name, Msg: fmt.Sprintf("malformed YAML: %v", r)}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(name, err)
		}
		return nil, Errors{{File: name, Line: extra.Line, Msg: "only one YAML document is allowed"}}
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil
}

// parserProblems are the YAML library's parser (not scanner) messages; for
// these it reports a 0-based line.
var parserProblems = []string{
	"did not find expected",
	"found undefined tag handle",
	"found duplicate %",
	"found incompatible YAML document",
}

// yamlError turns the YAML library's "yaml: line N: reason" into an Error.
// The library's line is where the construct holding the problem starts,
// so the message says the problem is there or just after.
func yamlError(name string, err error) error {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return Errors{{File: name, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}}
	}
	line, _ := strconv.Atoi(m[1])
	for _, p := range parserProblems {
		if strings.HasPrefix(m[2], p) {
			line++
			break
		}
	}
	return Errors{{File: name, Line: line, Msg: "YAML syntax error here or just after: " + m[2]}}
}

// applyDefaults fills what the file left out. set holds the paths the file
// gave, so an explicit value (even zero) is kept and then validated.
func (c *Config) applyDefaults(set map[string]int, dir string) {
	has := func(path string) bool { _, ok := set[path]; return ok }
	if c.Listen.HTTP == "" && !has("listen.http") {
		c.Listen.HTTP = DefaultHTTP
	}
	if c.Listen.SIP == "" && !has("listen.sip") {
		c.Listen.SIP = DefaultSIP
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(dir, c.DataDir)
	}
	if c.Database == "" {
		c.Database = filepath.Join(c.DataDir, DatabaseFile)
	}
	if len(c.NotReadyReasons) == 0 {
		c.NotReadyReasons = append([]string(nil), DefaultNotReadyReasons...)
	}
	if !has("assist_ring_time") {
		c.AssistRingTime = DefaultAssistRingTime
	}
	for i := range c.Queues {
		q := &c.Queues[i]
		p := "queues." + strconv.Itoa(i) + "."
		if q.Strategy == "" && !has(p+"strategy") {
			q.Strategy = DefaultStrategy
		}
		if !has(p + "ring_timeout") {
			q.RingTimeout = DefaultRingTimeout
		}
		if !has(p + "wrap_up") {
			q.WrapUp = DefaultWrapUp
		}
		if q.MaxWait > 0 && q.OnMaxWait == "" && !has(p+"on_max_wait") {
			q.OnMaxWait = DefaultOnMaxWait
			if q.OverflowTo != "" {
				q.OnMaxWait = "overflow"
			}
		}
	}
}

// NewQueue returns a queue with the defaults a file would get: for code
// (the admin API) that creates queues.
func NewQueue(name string) Queue {
	return Queue{Name: name, Strategy: DefaultStrategy, RingTimeout: DefaultRingTimeout, WrapUp: DefaultWrapUp}
}
