package sdp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// testKey is a master key whose bytes are 0..29, so its base64 is fixed.
var testKey = func() MasterKey {
	var k MasterKey
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

var testInline = base64.StdEncoding.EncodeToString(testKey[:])

func TestParseCrypto(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  Crypto
		err   error
		say   string
	}{
		{"80-bit tag", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline, Crypto{1, AESCM128HMACSHA180, testKey}, nil, ""},
		{"32-bit tag", "7 AES_CM_128_HMAC_SHA1_32 inline:" + testInline, Crypto{7, AESCM128HMACSHA132, testKey}, nil, ""},
		{"lifetime power", "2 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|2^31", Crypto{2, AESCM128HMACSHA180, testKey}, nil, ""},
		{"lifetime decimal", "2 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|1048576", Crypto{2, AESCM128HMACSHA180, testKey}, nil, ""},
		{"no padding", "3 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(testInline, "="), Crypto{3, AESCM128HMACSHA180, testKey}, nil, ""},
		{"extra spaces", " 4  AES_CM_128_HMAC_SHA1_80   inline:" + testInline + " ", Crypto{4, AESCM128HMACSHA180, testKey}, nil, ""},

		{"other suite", "1 AES_256_CM_HMAC_SHA1_80 inline:" + testInline, Crypto{}, ErrUnsupportedCrypto, "AES_256_CM_HMAC_SHA1_80"},
		{"gcm", "1 AEAD_AES_128_GCM inline:" + testInline, Crypto{}, ErrUnsupportedCrypto, "AEAD_AES_128_GCM"},
		{"mki", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|2^20|1:4", Crypto{}, ErrUnsupportedCrypto, "master key identifier"},
		{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + ";inline:" + testInline, Crypto{}, ErrUnsupportedCrypto, "several master keys"},
		{"session parameter", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + " UNENCRYPTED_SRTP", Crypto{}, ErrUnsupportedCrypto, "session parameters"},

		{"empty", "", Crypto{}, ErrMalformed, "want tag"},
		{"no key", "1 AES_CM_128_HMAC_SHA1_80", Crypto{}, ErrMalformed, "want tag"},
		{"tag not a number", "x AES_CM_128_HMAC_SHA1_80 inline:" + testInline, Crypto{}, ErrMalformed, "tag"},
		{"tag too long", "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + testInline, Crypto{}, ErrMalformed, "tag"},
		{"negative tag", "-1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline, Crypto{}, ErrMalformed, "tag"},
		{"suite not a token", "1 AES/CM inline:" + testInline, Crypto{}, ErrMalformed, "suite"},
		{"key method", "1 AES_CM_128_HMAC_SHA1_80 uri:" + testInline, Crypto{}, ErrMalformed, "inline"},
		{"no colon", "1 AES_CM_128_HMAC_SHA1_80 inline", Crypto{}, ErrMalformed, "method:info"},
		{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA", Crypto{}, ErrMalformed, "want 30"},
		{"long key", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "AAAA", Crypto{}, ErrMalformed, "want 30"},
		{"not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.Repeat("!", 40), Crypto{}, ErrMalformed, "base64"},
		{"bad lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|2^99", Crypto{}, ErrMalformed, "lifetime"},
		{"zero lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|0", Crypto{}, ErrMalformed, "lifetime"},
		{"bad mki", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|1:999", Crypto{}, ErrMalformed, "master key identifier"},
		{"two lifetimes", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|2^20|2^20", Crypto{}, ErrMalformed, "two lifetimes"},
		{"too many parts", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|1|2|3", Crypto{}, ErrMalformed, "parts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCrypto(tt.value)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("ParseCrypto: %v", err)
				}
				if got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.say) {
				t.Errorf("err = %q, want it to say %q", err, tt.say)
			}
		})
	}
}

func TestCryptoWritesWhatItReads(t *testing.T) {
	c := Crypto{Tag: 42, Suite: AESCM128HMACSHA132, Key: testKey}
	line := string(appendCrypto(nil, c))
	v, ok := strings.CutPrefix(strings.TrimSuffix(line, "\r\n"), "a=crypto:")
	if !ok {
		t.Fatalf("line %q", line)
	}
	back, err := ParseCrypto(v)
	if err != nil || back != c {
		t.Fatalf("read back %+v, %v; wrote %+v", back, err, c)
	}
}

func TestNewMasterKeyIsFresh(t *testing.T) {
	a, err := NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewMasterKey()
	if a == b || a == (MasterKey{}) {
		t.Fatal("two master keys are equal or zero")
	}
	if len(a.Key()) != 16 || len(a.Salt()) != 14 {
		t.Fatalf("key %d bytes, salt %d", len(a.Key()), len(a.Salt()))
	}
}

const srtpBase = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"

func TestSRTPOffers(t *testing.T) {
	good80 := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "\r\n"
	good32 := "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + testInline + "|2^31\r\n"
	aes256 := "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(make([]byte, 46)) + "\r\n"
	tests := []struct {
		name      string
		sdp       string
		err       error
		say       string
		wantSRTP  bool
		wantTag   uint32
		wantSuite Suite
		wantPort  uint16
	}{
		{"savp with 80", "m=audio 5000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n" + good80, nil, "", true, 1, AESCM128HMACSHA180, 5000},
		{"savp with 32", "m=audio 5000 RTP/SAVP 0\r\n" + good32, nil, "", true, 2, AESCM128HMACSHA132, 5000},
		{"first usable in order", "m=audio 5000 RTP/SAVP 0\r\n" + aes256 + good32 + good80, nil, "", true, 2, AESCM128HMACSHA132, 5000},
		{"savp and avp lines: srtp wins", "m=audio 5000 RTP/SAVP 0\r\n" + good80 + "m=audio 5002 RTP/AVP 0\r\n", nil, "", true, 1, AESCM128HMACSHA180, 5000},
		{"avp first, savp second: srtp wins", "m=audio 5002 RTP/AVP 0\r\nm=audio 5000 RTP/SAVP 0\r\n" + good80, nil, "", true, 1, AESCM128HMACSHA180, 5000},
		{"savp unusable, avp fallback", "m=audio 5000 RTP/SAVP 0\r\n" + aes256 + "m=audio 5002 RTP/AVP 0\r\n", nil, "", false, 0, 0, 5002},
		{"crypto on avp is ignored", "m=audio 5000 RTP/AVP 0\r\n" + good80, nil, "", false, 0, 0, 5000},

		{"unsupported suite only", "m=audio 5000 RTP/SAVP 0\r\n" + aes256, ErrNoCommonCrypto, "AES_256_CM_HMAC_SHA1_80", false, 0, 0, 0},
		{"names what is supported", "m=audio 5000 RTP/SAVP 0\r\n" + aes256, ErrNoCommonCrypto, "AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32", false, 0, 0, 0},
		{"savp without crypto", "m=audio 5000 RTP/SAVP 0\r\n", ErrNoCommonCrypto, "no a=crypto", false, 0, 0, 0},
		{"malformed crypto", "m=audio 5000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n", ErrMalformed, "inline key", false, 0, 0, 0},
		{"tag twice", "m=audio 5000 RTP/SAVP 0\r\n" + good80 + strings.Replace(good32, ":2 ", ":1 ", 1), ErrMalformed, "used twice", false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ParseOffer([]byte(srtpBase + tt.sdp))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if !strings.Contains(err.Error(), tt.say) {
					t.Errorf("err = %q, want it to say %q", err, tt.say)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseOffer: %v", err)
			}
			if o.Remote.Port() != tt.wantPort {
				t.Errorf("picked port %d, want %d", o.Remote.Port(), tt.wantPort)
			}
			ch, err := o.Choose()
			if err != nil {
				t.Fatal(err)
			}
			if (ch.SRTP != nil) != tt.wantSRTP {
				t.Fatalf("SRTP = %+v, want SRTP %v", ch.SRTP, tt.wantSRTP)
			}
			if !tt.wantSRTP {
				return
			}
			if ch.SRTP.Tag != tt.wantTag || ch.SRTP.Suite != tt.wantSuite || ch.SRTP.Remote != testKey {
				t.Fatalf("SRTP = %+v, want tag %d suite %v with the offer's key", ch.SRTP, tt.wantTag, tt.wantSuite)
			}
		})
	}
}

func TestAnswerSRTP(t *testing.T) {
	offer := srtpBase + "m=audio 5002 RTP/AVP 0\r\nm=audio 5000 RTP/SAVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" + testInline + "\r\n"
	o, err := ParseOffer([]byte(offer))
	if err != nil {
		t.Fatal(err)
	}
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	ours, err := NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	b, ch, err := AnswerKeyed(o, local, 9, 2, &ours)
	if err != nil {
		t.Fatal(err)
	}
	if ch.SRTP == nil || ch.SRTP.Local != ours || ch.SRTP.Remote != testKey || ch.SRTP.Tag != 5 || ch.SRTP.Suite != AESCM128HMACSHA132 {
		t.Fatalf("choice keys %+v", ch.SRTP)
	}
	want := "m=audio 0 RTP/AVP 0\r\nm=audio 40000 RTP/SAVP 0 101\r\n"
	if !bytes.Contains(b, []byte(want)) {
		t.Fatalf("answer lacks %q:\n%s", want, b)
	}
	if n := bytes.Count(b, []byte("a=crypto:")); n != 1 {
		t.Fatalf("answer has %d crypto lines:\n%s", n, b)
	}
	back, err := ParseAnswer(b)
	if err != nil {
		t.Fatalf("answer does not read back: %v\n%s", err, b)
	}
	if back.SRTP == nil || back.SRTP.Remote != ours || back.SRTP.Tag != 5 || back.SRTP.Suite != AESCM128HMACSHA132 {
		t.Fatalf("answer reads back with keys %+v", back.SRTP)
	}

	if _, _, err := AnswerKeyed(o, local, 9, 2, nil); err == nil {
		t.Fatal("an SRTP offer was answered without a key")
	}
	b2, ch2, err := AnswerVersion(o, local, 9, 3)
	if err != nil || ch2.SRTP == nil || ch2.SRTP.Local == (MasterKey{}) || ch2.SRTP.Local == ours {
		t.Fatalf("AnswerVersion: keys %+v, %v\n%s", ch2.SRTP, err, b2)
	}
}

func TestSecureOffer(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	b, err := NewSecureOffer(local, 1, 1, SendRecv, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("m=audio 40000 RTP/SAVP 0 8 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+testInline+"\r\n")) {
		t.Fatalf("offer:\n%s", b)
	}
	o, err := ParseOffer(b)
	if err != nil || o.Crypto == nil || o.Crypto.Key != testKey {
		t.Fatalf("offer reads back as %+v, %v", o.Crypto, err)
	}
	plain, _ := NewOffer(local, 1, 1, SendRecv)
	if bytes.Contains(plain, []byte("crypto")) || !bytes.Contains(plain, []byte("RTP/AVP")) {
		t.Fatalf("plain offer:\n%s", plain)
	}
}

func TestCryptoOfferKeepsSuite(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	b, err := NewCryptoOffer(local, 1, 2, SendRecv, Crypto{Tag: OfferTag, Suite: AESCM128HMACSHA132, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"+testInline+"\r\n")) {
		t.Fatalf("offer:\n%s", b)
	}
	if _, err := NewCryptoOffer(local, 1, 2, SendRecv, Crypto{Tag: OfferTag, Suite: 9, Key: testKey}); !errors.Is(err, ErrUnsupportedCrypto) {
		t.Errorf("unknown suite: %v, want ErrUnsupportedCrypto", err)
	}
}

// Errors about a=crypto lines are logged and sent back in Warning
// headers: they never carry the key, however the line is broken.
func TestCryptoErrorsHideKey(t *testing.T) {
	key := strings.TrimRight(testInline, "=")
	for _, v := range []string{
		"1 inline:" + testInline,
		"inline:" + testInline + " AES_CM_128_HMAC_SHA1_80 x",
		"1 inline:" + testInline + " AES_CM_128_HMAC_SHA1_80",
		"1 AES_CM_128_HMAC_SHA1_80 " + testInline,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + " inline:" + testInline,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + ";" + testInline,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + testInline + "|" + testInline,
		"1 AES_CM_128_HMAC_SHA1_80 uri:" + testInline,
		"1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "AAAA",
		"x AES_CM_128_HMAC_SHA1_80 inline:" + testInline,
	} {
		_, err := ParseCrypto(v)
		if err == nil {
			t.Errorf("ParseCrypto(%q) took it", v)
			continue
		}
		if strings.Contains(err.Error(), key[:16]) {
			t.Errorf("ParseCrypto(%q): error %q shows the key", v, err)
		}
		offer := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:" + v + "\r\n"
		if _, err := ParseOffer([]byte(offer)); err != nil && strings.Contains(err.Error(), key[:16]) {
			t.Errorf("ParseOffer with a=crypto:%s: error %q shows the key", v, err)
		}
	}
}
