package sdp_test

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/earshot/earshot/internal/sdp"
)

func Example() {
	offer := "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
		"m=audio 30000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n"
	o, err := sdp.ParseOffer([]byte(offer))
	if err != nil {
		panic(err)
	}
	answer, ch, err := sdp.Answer(o, netip.MustParseAddrPort("192.0.2.1:40000"), 42)
	if err != nil {
		panic(err)
	}
	fmt.Println("send to", ch.Remote, "payload type", ch.PayloadType, "dtmf", ch.DTMF, "hold", ch.Hold)
	for _, line := range strings.Split(strings.TrimSpace(string(answer)), "\r\n") {
		if strings.HasPrefix(line, "m=") || strings.HasPrefix(line, "a=recvonly") {
			fmt.Println(line)
		}
	}
	// Output:
	// send to 192.0.2.10:30000 payload type 0 dtmf 101 hold true
	// m=audio 40000 RTP/AVP 0 101
	// a=recvonly
}
