package auth

import (
	"strings"
	"testing"
)

// cheap keeps unit tests fast; the production parameters are tested once below.
var cheap = HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestHashPasswordProductionParams(t *testing.T) {
	t.Parallel()
	phc, err := HashPassword("Correct7horse", HashParams{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q does not carry the production parameters", phc)
	}
	p, salt, key, err := parsePHC(phc)
	if err != nil || p != (HashParams{19456, 2, 1}) || len(salt) != saltLength || len(key) != keyLength {
		t.Fatalf("parsePHC = %+v, %d, %d, %v", p, len(salt), len(key), err)
	}
	ok, err := VerifyPassword("Correct7horse", phc)
	if err != nil || !ok {
		t.Fatalf("VerifyPassword(right) = %v, %v", ok, err)
	}
}

func TestVerifyPassword(t *testing.T) {
	t.Parallel()
	phc, err := HashPassword("Correct7horse", cheap)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{
		{"Correct7horse", true},
		{"correct7horse", false},
		{"Correct7horse ", false},
		{"", false},
	} {
		ok, err := VerifyPassword(tt.pw, phc)
		if err != nil || ok != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
}

func TestHashPasswordSalts(t *testing.T) {
	t.Parallel()
	a, _ := HashPassword("Correct7horse", cheap)
	b, _ := HashPassword("Correct7horse", cheap)
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	if strings.Contains(a, "Correct7horse") {
		t.Fatal("hash contains the password")
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	good, _ := HashPassword("Correct7horse", cheap)
	parts := strings.Split(good, "$")
	for _, phc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=0,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4],
		good + "$extra",
	} {
		if ok, err := VerifyPassword("Correct7horse", phc); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want false and an error", phc, ok, err)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("Correct7horse", HashParams{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	phc, err := HashPassword("Correct7horse", HashParams{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _ := VerifyPassword("Wrong7horse", phc); ok {
			b.Fatal("verified a wrong password")
		}
	}
}
