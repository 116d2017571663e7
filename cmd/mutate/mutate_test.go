package main

import (
	"errors"
	"strings"
	"testing"
)

// Every mutation's original snippet is in today's code: a change that moves
// one fails here, in the ordinary test run, not only in make mutate.
func TestMutationsMatchTheCode(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Skip(err)
	}
	if err := check(root, mutations); err != nil {
		t.Fatal(err)
	}
	if len(mutations) < 15 {
		t.Fatalf("%d mutations, want at least 15", len(mutations))
	}
}

func TestApplyFailsLoudly(t *testing.T) {
	m := mutation{name: "m", file: "f.go", from: "a < 8", to: "a < 7"}
	if got, err := m.apply("if a < 8 {}"); err != nil || got != "if a < 7 {}" {
		t.Fatalf("apply: %q %v", got, err)
	}
	if _, err := m.apply("if a <= 8 {}"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing snippet: %v", err)
	}
	if _, err := m.apply("a < 8; a < 8"); err == nil || !strings.Contains(err.Error(), "2 times") {
		t.Fatalf("ambiguous snippet: %v", err)
	}
	m.all = true
	if got, err := m.apply("a < 8; a < 8"); err != nil || got != "a < 7; a < 7" {
		t.Fatalf("all: %q %v", got, err)
	}
}

func TestJudge(t *testing.T) {
	fail := errors.New("exit status 1")
	for _, tc := range []struct {
		out     string
		err     error
		verdict string
	}{
		{"ok  \tcertreg/auth\t0.1s\n", nil, "SURVIVED"},
		{"--- FAIL: TestX (0.00s)\n    --- FAIL: TestX/sub (0.00s)\nFAIL\n", fail, "caught"},
		{"# certreg/store\nstore/x.go:1: undefined: y\nFAIL\tcertreg/store [build failed]\n", fail, "BROKEN"},
	} {
		if v, _ := judge([]byte(tc.out), tc.err); v != tc.verdict {
			t.Errorf("%q: %s, want %s", tc.out, v, tc.verdict)
		}
	}
}
