package app

import (
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/demo"
)

// checkSounds refuses a configuration whose queues name a message or music
// earshot cannot play: every such file at start (prev nil), the changed
// ones on an admin's change (prev the configuration in force).
func checkSounds(c, prev *config.Config) error {
	return c.CheckSounds(prev, callflow.CheckMessage, callflow.CheckMusic)
}

// withDemoMessage writes the demo's queue message into the data folder and
// gives it to the demo queue that hangs up after max_wait. It returns a
// copy of file; the stored configuration, once there is one, still wins.
func withDemoMessage(file *config.Config) (*config.Config, error) {
	if file.DataDir == "" {
		return file, nil
	}
	p, err := demo.WriteMessage(file.DataDir)
	if err != nil {
		return nil, err
	}
	c := file.Clone()
	for i := range c.Queues {
		q := &c.Queues[i]
		if q.Name == demo.MessageQueue && q.Message == "" && q.OnMaxWait == config.OnMaxWaitHangup {
			q.Message = p
		}
	}
	return c, nil
}
