package config

import (
	_ "embed"
	"fmt"
)

//go:embed demo.yaml
var demoYAML []byte

// DemoYAML returns the demo configuration's source, for `earshot demo` to
// show or write out.
func DemoYAML() []byte {
	return append([]byte(nil), demoYAML...)
}

// Demo returns the configuration `earshot demo` runs with: two teams of six
// agents, a supervisor for each, an admin, three queues with their DIDs, a
// loopback trunk and a dial plan for demo phones. Everyone's password is
// "demo". Each call returns a fresh copy.
func Demo() *Config {
	c, err := Parse("demo.yaml", demoYAML)
	if err != nil {
		panic(fmt.Sprintf("config: the embedded demo configuration is broken: %v", err))
	}
	return c
}
