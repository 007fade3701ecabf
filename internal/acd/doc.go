// Package acd is earshot's automatic call distributor: the pure part of the
// control plane that decides which agent gets which call and what state each
// agent is in. It does no I/O and reads time only from an injected clock, so
// a test can drive a thousand agents through a day of calls in milliseconds.
//
// Every change is an event (package events). A command builds its events,
// hands them to the Sink to be stored, and only when that succeeded applies
// them to its state and announces them. A command that fails changes nothing.
//
// Edges (SIP, WebRTC, web pages) call the Engine's commands; they learn what
// to do next (ring an agent, cancel a ring, end a call) from the announced
// events: the engine never calls an edge.
package acd
