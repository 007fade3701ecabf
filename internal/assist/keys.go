package assist

// Keys are what a supervisor on a plain phone presses to change mode
// (RFC 4733 digits from their leg). docs/assist.md lists them for people.
var Keys = []struct {
	Digit rune
	Does  string
}{
	{'1', "listen"},
	{'2', "talk (press again to go back to listening)"},
	{'3', "take over"},
	{'#', "close"},
}

// Key is a digit the session's endpoint sent: 1 listen, 2 talk or back to
// listen, 3 take over, # close. Other digits do nothing and say so
// (ErrBadMode). The session's own supervisor is the actor.
func (d *Desk) Key(id string, digit rune) error {
	s, err := d.Session(id)
	if err != nil {
		return err
	}
	switch digit {
	case '1':
		return d.SetMode(id, s.User, Listen)
	case '2':
		if s.Mode == Talk {
			return d.SetMode(id, s.User, Listen)
		}
		return d.SetMode(id, s.User, Talk)
	case '3':
		return d.TakeOver(id, s.User)
	case '#':
		return d.Close(id, s.User)
	}
	return refuse(ErrBadMode, "Key %q does nothing: 1 listen, 2 talk, 3 take over, # close", string(digit))
}
