package mailin

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// sharedStartCases are lines at the edges of sharedStartRe.
var sharedStartCases = []string{
	"", "On", " On ", "x On y", "xOn y", "x Ony", "x On", "Thanks! On Mon, 1 Jun 2020 at 10:00, Bob <bob@example.com> wrote:",
	"Obrigado. Em seg., 1 de jun. de 2020 às 10:00, Bob escreveu:", "a\tEm\tb", "a\fDen\rb", "a\u00a0Em b", "a Em\u00a0b",
	"ok W dniu 1", "ok W  dniu 1", "ok Wdniu 1", "ok 在 2020年", "ok 在2020年", "ok 在  x", "在 1", "ok\t在\t\t7", "ok 在", "x 在 在 1",
	"x På y", "x Vào lúc", "x Vàoy", "x on y", "x EM y", "x Em", " Em", "Em Em Em", "x Emm Em y", "x  Em  y",
	"A água corre há dois dias e já formou uma poça grande; peço providências.",
}

// TestHasSharedStart checks hasSharedStart against sharedStartRe on the
// edge cases and on every line of the shared corpus and cases.
func TestHasSharedStart(t *testing.T) {
	lines := append([]string(nil), sharedStartCases...)
	for _, name := range []string{"corpus", "cases"} {
		dir := filepath.Join("..", "..", "shared", name)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err == nil {
				lines = append(lines, strings.Split(string(b), "\n")...)
			}
			return nil
		})
	}
	for _, l := range lines {
		if got, want := hasSharedStart(l), sharedStartRe.MatchString(l); got != want {
			t.Errorf("hasSharedStart(%q) = %v, sharedStartRe says %v", l, got, want)
		}
	}
	if len(lines) < 1000 && os.Getenv("CI") != "" {
		t.Errorf("only %d lines checked: the shared corpus is missing", len(lines))
	}
}

// FuzzHasSharedStart compares hasSharedStart with sharedStartRe on any
// input (go test -fuzz FuzzHasSharedStart ./mailin).
func FuzzHasSharedStart(f *testing.F) {
	for _, l := range sharedStartCases {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, l string) {
		if got, want := hasSharedStart(l), sharedStartRe.MatchString(l); got != want {
			t.Errorf("hasSharedStart(%q) = %v, sharedStartRe says %v", l, got, want)
		}
	})
}

// TestContainsFoldASCII checks containsFoldASCII against strings.ToLower
// and strings.Contains.
func TestContainsFoldASCII(t *testing.T) {
	words := []string{"responda acima desta linha", "reply above this line", "ok", "k i"}
	lines := []string{"", "Responda ACIMA desta linha", "-- Reply above this line --", "reply above thİs line", "reply above this lİne",
		"REPLY ABOVE THIS LINE", "reply above  this line", "reply\tabove this line", "reply above this lin", "Ok", "\u212a", "\u212a \u0130",
		"k  i", "xK İx", "reply above this line\u0130", "\xff\xfeok", "respondaacima desta linha", "ReSpOnDa AcImA dEsTa LiNhA!"}
	for _, w := range words {
		for _, l := range lines {
			if got, want := containsFoldASCII(l, w), strings.Contains(strings.ToLower(l), w); got != want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", l, w, got, want)
			}
		}
	}
}

// FuzzContainsFoldASCII: the same on any input.
func FuzzContainsFoldASCII(f *testing.F) {
	f.Add("Reply above this line")
	f.Add("xK İ linha")
	f.Fuzz(func(t *testing.T, l string) {
		for _, w := range []string{"responda acima desta linha", "reply above this line", "k i", "ik"} {
			if got, want := containsFoldASCII(l, w), strings.Contains(strings.ToLower(l), w); got != want {
				t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", l, w, got, want)
			}
		}
	})
}

// TestMayHoldUnicodeSpace: every non-ASCII rune unicode.IsSpace knows
// starts with a byte mayHoldUnicodeSpace looks for.
func TestMayHoldUnicodeSpace(t *testing.T) {
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) && !mayHoldUnicodeSpace(string(r)) {
			t.Errorf("%U is a space mayHoldUnicodeSpace misses", r)
		}
	}
}

// TestHasAttributionPrefix checks hasAttributionPrefix against prefixRe on
// edge cases and on every line of the shared corpus and cases.
func TestHasAttributionPrefix(t *testing.T) {
	lines := []string{"", "On Mon", "ON Mon", "oN", "Em 1 de", "EM", "Στις 5", "στις 5", "ΣΤΙΣ 5", "В понедельник", "в 5", "У 5",
		"在 2020", "在2020", "Și", "Îń", "În 5", "ÎN 5", "Le 5", "\u212a", "İn message", "in message", "A água"}
	for _, name := range []string{"corpus", "cases"} {
		dir := filepath.Join("..", "..", "shared", name)
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if b, err := os.ReadFile(path); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					lines = append(lines, strings.TrimSpace(l))
				}
			}
			return nil
		})
	}
	for _, l := range lines {
		if got, want := hasAttributionPrefix(l), prefixRe.MatchString(l); got != want {
			t.Errorf("hasAttributionPrefix(%q) = %v, prefixRe says %v", l, got, want)
		}
	}
}

// FuzzHasAttributionPrefix: the same on any input.
func FuzzHasAttributionPrefix(f *testing.F) {
	f.Add("On Mon, 1 Jun 2020")
	f.Add("ΣΤΙΣ 5")
	f.Fuzz(func(t *testing.T, l string) {
		if got, want := hasAttributionPrefix(l), prefixRe.MatchString(l); got != want {
			t.Errorf("hasAttributionPrefix(%q) = %v, prefixRe says %v", l, got, want)
		}
	})
}
