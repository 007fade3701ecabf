package sdp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseOffer checks that any input either parses into an offer earshot
// can answer, or fails with one of the package's sentinel errors; and that
// an answer, when one can be made, reads back as an answer.
func FuzzParseOffer(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "offers", "*.sdp"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Add([]byte("v=0\no=- 1 1 IN IP6 ::1\ns=-\nt=0 0\nm=audio 5 RTP/AVP 8 101\nc=IN IP6 ::1\na=rtpmap:101 telephone-event/8000\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20\r\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 1 RTP/SAVP 0\r\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|1:4\r\nm=audio 2 RTP/AVP 8\r\n"))

	local := netip.MustParseAddrPort("127.0.0.1:40000")
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOffer(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoAudio) && !errors.Is(err, ErrNoCommonCodec) &&
				!errors.Is(err, ErrNoCommonCrypto) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if !o.Remote.IsValid() {
			t.Fatalf("parsed offer without a remote address: %+v", o)
		}
		answer, ch, err := Answer(o, local, 1)
		if err != nil {
			if !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("answer failed: %v", err)
			}
			return
		}
		if ch.PayloadType != PCMU && ch.PayloadType != PCMA {
			t.Fatalf("chose payload type %d", ch.PayloadType)
		}
		back, err := ParseAnswer(answer)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, answer)
		}
		if (ch.SRTP == nil) != (o.Crypto == nil) || (back.SRTP == nil) != (ch.SRTP == nil) ||
			ch.SRTP != nil && (back.SRTP.Remote != ch.SRTP.Local || back.SRTP.Tag != o.Crypto.Tag || back.SRTP.Suite != o.Crypto.Suite) {
			t.Fatalf("SRTP keys: offer %+v, choice %+v, answer reads back %+v", o.Crypto, ch.SRTP, back.SRTP)
		}
		if back.Remote != local || back.PayloadType != ch.PayloadType || back.DTMF != ch.DTMF {
			t.Fatalf("answer reads back as %+v, chose %+v", back, ch)
		}
	})
}

// FuzzParseCrypto checks that any a=crypto value either parses into a key
// that writes back to itself, or fails with ErrMalformed or
// ErrUnsupportedCrypto.
func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4")
	f.Add("2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj")
	f.Add("3 AES_256_CM_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP")
	f.Add("4 AES_CM_128_HMAC_SHA1_80 inline:a;inline:b")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := ParseCrypto(v)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedCrypto) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		line := string(appendCrypto(nil, c))
		back, err := ParseCrypto(line[len("a=crypto:") : len(line)-2])
		if err != nil || back != c {
			t.Fatalf("%q wrote %q, which reads back as %+v, %v", v, line, back, err)
		}
	})
}
