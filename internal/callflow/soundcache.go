package callflow

import (
	"os"
	"sync"
	"time"
)

// soundCache keeps decoded sound files (queue messages, music on hold) by
// path, so a call does not read and decode its queue's file again. An
// entry is used while the file's size and modification time are those it
// was loaded at; a changed file is loaded again. What it holds is
// read-only and shared by every call that plays it.
type soundCache[T any] struct {
	load func(path string) (T, error)

	mu    sync.Mutex // guards files
	files map[string]cachedSound[T]
}

type cachedSound[T any] struct {
	size int64
	mod  time.Time
	v    T
}

func newSoundCache[T any](load func(path string) (T, error)) *soundCache[T] {
	return &soundCache[T]{load: load, files: map[string]cachedSound[T]{}}
}

// get returns the file at path, decoded, from the cache when the file is
// unchanged. A file that cannot be loaded is not cached: the error is
// load's.
func (c *soundCache[T]) get(path string) (T, error) {
	fi, statErr := os.Stat(path)
	if statErr == nil {
		c.mu.Lock()
		e, ok := c.files[path]
		c.mu.Unlock()
		if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
			return e.v, nil
		}
	}
	// Stat before the load: a file changed while it loads differs from
	// what is stored at the next get, and is loaded again.
	v, err := c.load(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || statErr != nil {
		delete(c.files, path)
		return v, err
	}
	c.files[path] = cachedSound[T]{size: fi.Size(), mod: fi.ModTime(), v: v}
	return v, nil
}
