package loadgen_test

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/media/loadgen"
)

// A short rooms run against an in-process engine: every participant hears
// the others' tones and not its own, in three- and four-party rooms, and
// the marker frames come back through the mix. Each size gets an engine of
// its own, so no leg of one run sends to a port the next run reuses.
func TestRunRoomsAgainstEngine(t *testing.T) {
	for _, parties := range []int{3, 4} {
		runRoomsAgainstEngine(t, parties)
	}
}

func runRoomsAgainstEngine(t *testing.T, parties int) {
	e, err := media.NewEngine(media.Config{IP: netip.MustParseAddr("127.0.0.1"), PortMin: 34000, PortMax: 34999, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var legs []*media.Leg
	setup := func(room int, addrs []netip.AddrPort) ([]netip.AddrPort, error) {
		r := e.NewRoom()
		var ids []media.LegID
		var out []netip.AddrPort
		for _, a := range addrs {
			l, err := e.NewRTPLeg()
			if err != nil {
				return nil, err
			}
			legs = append(legs, l)
			if err := l.SetRemote(a, 0, 0); err != nil {
				return nil, err
			}
			if err := r.Add(l); err != nil {
				return nil, err
			}
			ids = append(ids, l.ID())
			out = append(out, l.LocalAddr())
		}
		return out, r.SetHearing(media.AllHear(ids...))
	}
	r, err := loadgen.RunRooms(loadgen.RoomsConfig{
		Rooms:    2,
		Parties:  parties,
		Warmup:   300 * time.Millisecond,
		Duration: 1100 * time.Millisecond,
		Setup:    setup,
		CPU:      loadgen.ProcessCPU(os.Getpid()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Checked != 2*parties || len(r.HearingErrors) > 0 || r.SelfLoud > 0 || r.Received == 0 || r.MixedSamples == 0 {
		for _, l := range legs {
			t.Logf("%v %v → %v: %+v", l.ID(), l.LocalAddr(), l.RemoteAddr(), l.Stats())
		}
		t.Errorf("%d parties: checked %d participants, hearing errors %q, %d frames back to their sender, %d mix packets, %d marker frames",
			parties, r.Checked, r.HearingErrors, r.SelfLoud, r.Received, r.MixedSamples)
	}
}
