// Package demo brings "earshot demo" to life: simulated customers who call
// in over real SIP and speak, and bot agents who answer, talk, wrap up,
// take breaks and now and then ask for help, so a newcomer sees a working
// floor within a minute. The voices are short phrases made with espeak-ng
// and kept as 8 kHz µ-law WAV files.
package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/earshot/earshot/internal/media"
)

//go:embed voices/*.wav
var voiceFiles embed.FS

// voices holds the phrases, loaded as media sources.
type voices struct {
	customer, agent []media.Source
}

// loadVoices writes the embedded phrases into dir (media sources read
// files) and loads them.
func loadVoices(dir string) (*voices, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("voices: %w", err)
	}
	v := &voices{}
	err := fs.WalkDir(voiceFiles, "voices", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := voiceFiles.ReadFile(p)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.Base(p))
		if err := os.WriteFile(path, b, 0o640); err != nil {
			return err
		}
		src, err := media.NewWAVSource(path, true)
		if err != nil {
			return err
		}
		if strings.HasPrefix(filepath.Base(p), "agent") {
			v.agent = append(v.agent, src)
		} else {
			v.customer = append(v.customer, src)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("voices: %w", err)
	}
	return v, nil
}

func pick(srcs []media.Source) media.Source { return srcs[rand.IntN(len(srcs))] }
