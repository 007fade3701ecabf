// Package app assembles earshot from its parts — store, control plane,
// edges — and runs it until its context ends. It holds the wiring and no
// contact-centre rules.
package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/earshot/earshot/internal/auth"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/store"
)

// DatabaseDSN names the database cfg asks for: its database setting, or the
// SQLite file earshot.db in its data folder.
func DatabaseDSN(cfg *config.Config) string {
	if cfg.Database != "" {
		return cfg.Database
	}
	return "sqlite:" + filepath.Join(cfg.DataDir, "earshot.db")
}

// Bootstrap returns the configuration in force. The first start seeds the
// store from the file (plain passwords hashed on the way); after that the
// store wins for everything the admin pages can change (users, teams,
// queues, DIDs, trunks, dial plan, reasons), and the file still decides
// where earshot listens, keeps its data, and how browsers reach its audio.
func Bootstrap(ctx context.Context, st store.Store, file *config.Config) (*config.Config, error) {
	stored, err := st.LoadConfig(ctx)
	switch {
	case err == nil:
		stored.Listen, stored.DataDir, stored.Database, stored.WebRTC = file.Listen, file.DataDir, file.Database, file.WebRTC
		if err := stored.Validate(); err != nil {
			return nil, fmt.Errorf("stored configuration: %w", err)
		}
		return stored, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	seed := file.Clone()
	for i := range seed.Users {
		u := &seed.Users[i]
		if u.Password != "" {
			h, err := auth.Hash(u.Password)
			if err != nil {
				return nil, fmt.Errorf("hash password of %s: %w", u.Name, err)
			}
			u.PasswordHash, u.Password = h, ""
		}
	}
	if err := st.SaveConfig(ctx, seed); err != nil {
		return nil, fmt.Errorf("seed configuration: %w", err)
	}
	return seed, nil
}
