package media

import (
	"errors"
	"fmt"
	"slices"
)

// Hearing says who hears whom in a room: each listener maps to the legs it
// hears. A leg never hears itself; a member missing from the map hears no
// leg of the room (it gets its Source, or silence).
type Hearing map[LegID][]LegID

// AllHear returns the Hearing in which each of ids hears all the others.
func AllHear(ids ...LegID) Hearing {
	h := make(Hearing, len(ids))
	for _, l := range ids {
		for _, s := range ids {
			if s != l {
				h[l] = append(h[l], s)
			}
		}
	}
	return h
}

// Room is a set of legs and a Hearing matrix over them. Every 20 ms each
// member gets what its Hearing entry gives it: the packets of the one leg it
// hears, forwarded; or the mix of the several it hears; or, hearing none,
// its Source or silence. A leg is in at most one room.
type Room struct {
	e *Engine

	// Guarded by e.mu; the owning worker reads them under the read lock
	// and applies dirty at a frame boundary.
	w          *worker
	closed     bool
	members    []*Leg
	hearing    Hearing
	dirty      bool // hearing changed since the last rebuild
	recordings []*Recording
}

// NewRoom returns an empty room. Its legs move to one worker when added, so
// the room's audio is handled in one place.
func (e *Engine) NewRoom() *Room {
	return &Room{e: e, hearing: Hearing{}}
}

// Add puts l in the room. It hears nobody and nobody hears it until
// SetHearing says otherwise.
func (r *Room) Add(l *Leg) error {
	if l.e != r.e {
		return errors.New("media: add leg: leg and room belong to different engines")
	}
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.closed || l.closed {
		return fmt.Errorf("media: add %v: %w", l.id, ErrClosed)
	}
	if l.room == r {
		return nil
	}
	if l.room != nil {
		return fmt.Errorf("media: add %v: %w", l.id, ErrInRoom)
	}
	if r.w == nil {
		r.w = l.w
		r.w.rooms = append(r.w.rooms, r)
	} else if err := r.w.move(l); err != nil {
		return fmt.Errorf("media: add %v: %w", l.id, err)
	}
	l.room = r
	r.members = append(r.members, l)
	return nil
}

// Remove takes l out of the room at once; the legs that heard it stop
// hearing it. Removing a leg that is not a member does nothing.
func (r *Room) Remove(l *Leg) {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if l.room == r {
		r.removeLocked(l)
	}
}

func (r *Room) removeLocked(l *Leg) {
	r.members = slices.DeleteFunc(r.members, func(m *Leg) bool { return m == l })
	delete(r.hearing, l.id)
	for k, srcs := range r.hearing {
		r.hearing[k] = slices.DeleteFunc(srcs, func(id LegID) bool { return id == l.id })
	}
	l.room = nil
	rt := &l.rt
	rt.mode = modeNone
	rt.heard = rt.heard[:0]
	rt.fwdTo = rt.fwdTo[:0]
	rt.needPCM, rt.recordHeard = false, false
	rt.out.fwdValid = false
	rt.out.switched = true
	r.rebuild()
}

// SetHearing replaces the room's hearing matrix. Every leg named must be a
// member, and none may hear itself; otherwise nothing changes. The new
// matrix takes effect at the next 20 ms frame boundary.
func (r *Room) SetHearing(h Hearing) error {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	if r.closed {
		return fmt.Errorf("media: set hearing: %w", ErrClosed)
	}
	next := make(Hearing, len(h))
	for listener, srcs := range h {
		if r.member(listener) == nil {
			return fmt.Errorf("media: set hearing: listener %v: %w", listener, ErrNotInRoom)
		}
		var list []LegID
		for _, s := range srcs {
			if s == listener {
				return fmt.Errorf("media: set hearing: %v: %w", listener, ErrSelfHear)
			}
			if r.member(s) == nil {
				return fmt.Errorf("media: set hearing: %v hears %v: %w", listener, s, ErrNotInRoom)
			}
			if !slices.Contains(list, s) {
				list = append(list, s)
			}
		}
		if len(list) > 0 {
			next[listener] = list
		}
	}
	r.hearing = next
	r.dirty = true
	return nil
}

// Hearing returns a copy of the room's current hearing matrix.
func (r *Room) Hearing() Hearing {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	h := make(Hearing, len(r.hearing))
	for k, v := range r.hearing {
		h[k] = slices.Clone(v)
	}
	return h
}

// Legs returns the IDs of the room's members.
func (r *Room) Legs() []LegID {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	ids := make([]LegID, len(r.members))
	for i, m := range r.members {
		ids[i] = m.id
	}
	return ids
}

// Close removes every leg (the legs stay open) and finishes the room's
// recordings.
func (r *Room) Close() error {
	r.e.mu.Lock()
	if r.closed {
		r.e.mu.Unlock()
		return nil
	}
	r.closed = true
	for len(r.members) > 0 {
		r.removeLocked(r.members[0])
	}
	recs := r.recordings
	r.recordings = nil
	if r.w != nil {
		r.w.rooms = slices.DeleteFunc(r.w.rooms, func(x *Room) bool { return x == r })
	}
	r.e.mu.Unlock()
	var errs []error
	for _, rec := range recs {
		errs = append(errs, rec.finish())
	}
	return errors.Join(errs...)
}

func (r *Room) member(id LegID) *Leg {
	for _, m := range r.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

// rebuild turns the hearing matrix into each member's mode and wiring. It
// runs under the engine's write lock, or on the room's worker at a frame
// boundary.
func (r *Room) rebuild() {
	r.dirty = false
	for _, m := range r.members {
		m.rt.fwdTo = m.rt.fwdTo[:0]
		m.rt.needPCM = false
		m.rt.recordHeard = false
	}
	for _, l := range r.members {
		rt := &l.rt
		var oldSrc *Leg
		oldMode := rt.mode
		if rt.mode == modeForward {
			oldSrc = rt.heard[0]
		}
		rt.heard = rt.heard[:0]
		for _, id := range r.hearing[l.id] {
			if src := r.member(id); src != nil && src != l {
				rt.heard = append(rt.heard, src)
			}
		}
		switch {
		case len(rt.heard) == 0:
			rt.mode = modeNone
		case len(rt.heard) == 1 && rt.heard[0].voice == nil:
			rt.mode = modeForward
			src := rt.heard[0]
			src.rt.fwdTo = append(src.rt.fwdTo, l)
		default: // several, or one that speaks (see Leg.Speak)
			rt.mode = modeMix
			for _, src := range rt.heard {
				src.rt.needPCM = true
			}
		}
		if rt.mode != oldMode || (rt.mode == modeForward && rt.heard[0] != oldSrc) {
			rt.out.switched = true
		}
		if rt.mode != modeForward || rt.heard[0] != oldSrc {
			rt.out.fwdValid = false
		}
	}
	for _, rec := range r.recordings {
		l := rec.leg
		if l.room != r {
			continue
		}
		l.rt.needPCM = true
		if rec.stereo {
			l.rt.recordHeard = true
			if l.rt.mode == modeForward {
				l.rt.heard[0].rt.needPCM = true
			}
		}
	}
}
