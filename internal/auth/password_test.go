package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// cheap keeps the tests fast; the format and checks are the same.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id with the default parameters", h)
	}
	if !Verify(h, "correct horse") {
		t.Fatal("the right password does not verify")
	}
	if Verify(h, "correct horsf") || Verify(h, "") {
		t.Fatal("a wrong password verifies")
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(string(h), "s3cret-pass") || Verify(string(h), "s3cret-pasS") {
		t.Fatal("bcrypt verification is wrong")
	}
	if err := CheckHash(string(h)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	good, err := HashWith("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Split(good, "$")
	cases := map[string]string{
		"empty":          "",
		"plain text":     "pw",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"version 16":     strings.Replace(good, "v=19", "v=16", 1),
		"leading zero":   strings.Replace(good, "t=1", "t=01", 1),
		"signed":         strings.Replace(good, "t=1", "t=+1", 1),
		"order":          strings.Replace(good, "m=64,t=1", "t=1,m=64", 1),
		"huge memory":    strings.Replace(good, "m=64", "m=4194304", 1),
		"zero time":      strings.Replace(good, "t=1", "t=0", 1),
		"zero threads":   strings.Replace(good, "p=1", "p=0", 1),
		"short salt":     "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + f[5],
		"padded base64":  good + "==",
		"extra field":    good + "$x",
		"bad base64 key": "$argon2id$v=19$m=64,t=1,p=1$" + f[4] + "$***",
		"bad bcrypt":     "$2a$04$notreallyahash",
	}
	for name, h := range cases {
		if Verify(h, "pw") {
			t.Errorf("%s: %q verifies", name, h)
		}
		if err := CheckHash(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: CheckHash(%q) = %v, want ErrBadHash", name, h, err)
		}
	}
	if !Verify(good, "pw") {
		t.Fatal("the unmodified hash does not verify")
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, want := range map[string]error{
		"":                                    ErrPasswordTooShort,
		"1234567":                             ErrPasswordTooShort,
		"ééééééé":                             ErrPasswordTooShort, // 14 bytes, 7 characters
		"12345678":                            nil,
		strings.Repeat("x", MaxPasswordLen):   nil,
		strings.Repeat("x", MaxPasswordLen+1): ErrPasswordTooLong,
	} {
		if got := CheckPassword(pw); got != want {
			t.Errorf("CheckPassword(%d bytes) = %v, want %v", len(pw), got, want)
		}
	}
	if _, err := Hash(strings.Repeat("x", MaxPasswordLen+1)); err != ErrPasswordTooLong {
		t.Fatalf("Hash of an overlong password: %v", err)
	}
}

func TestTokens(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q, %q: want distinct 43-character tokens", a, b)
	}
	if id := TokenID(a); len(id) != 64 || id != TokenID(a) || id == TokenID(b) {
		t.Fatalf("TokenID(%q) = %q", a, id)
	}
}

// FuzzVerify feeds arbitrary hash strings to the PHC parser: it must never
// panic, never accept a hash outside the bounds, and round-trip what it
// accepts.
func FuzzVerify(f *testing.F) {
	good, _ := HashWith("pw", cheap)
	f.Add(good)
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$2a$04$abcdefghijklmnopqrstuu")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		p, salt, key, err := decode(h)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("decode(%q) error %v does not wrap ErrBadHash", h, err)
			}
			return
		}
		if p.Memory > maxMemory || p.Time > maxTime || p.Time == 0 || p.Threads == 0 {
			t.Fatalf("decode(%q) accepted out-of-bounds parameters %+v", h, p)
		}
		if enc := encode(p, salt, key); enc != h {
			t.Fatalf("decode(%q) then encode = %q", h, enc)
		}
		if p.Memory <= 1024 && p.Time <= 2 {
			Verify(h, "pw") // must not panic
		}
	})
}
