// Command mutate checks that the tests catch the bugs that matter: it plants
// each bug of mutations.go, one at a time, in a temporary copy of the
// repository, runs the tests that must catch it, and fails if any bug
// survives. A mutation whose original snippet is no longer in its file stops
// the run before anything is planted: the list follows the code and is
// updated with it, never skipped silently.
//
//	go run ./cmd/mutate              # every mutation (make mutate)
//	go run ./cmd/mutate -only csrf   # the mutations whose name matches
//	go run ./cmd/mutate -list        # the list, checked against the code
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// mutation is one planted bug.
type mutation struct {
	name string
	file string // relative to the repository root
	from string // exact text of today's code
	to   string // the bug
	all  bool   // replace every occurrence (otherwise from must occur once)
	pkgs []string
	run  string // go test -run pattern; "" runs every test of pkgs
}

// apply returns src with the mutation planted, or an error when the original
// snippet is missing (or ambiguous).
func (m mutation) apply(src string) (string, error) {
	n := strings.Count(src, m.from)
	switch {
	case n == 0:
		return "", fmt.Errorf("%s: original snippet not found in %s (the code moved: update cmd/mutate/mutations.go):\n%s", m.name, m.file, indent(m.from))
	case n > 1 && !m.all:
		return "", fmt.Errorf("%s: original snippet occurs %d times in %s; make it unique or set all:\n%s", m.name, n, m.file, indent(m.from))
	case m.from == m.to:
		return "", fmt.Errorf("%s: the replacement equals the original", m.name)
	}
	return strings.ReplaceAll(src, m.from, m.to), nil
}

func indent(s string) string { return "    | " + strings.ReplaceAll(s, "\n", "\n    | ") }

// check verifies every mutation against the code in root.
func check(root string, list []mutation) error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range list {
		if seen[m.name] {
			errs = append(errs, fmt.Errorf("%s: duplicate name", m.name))
		}
		seen[m.name] = true
		if len(m.pkgs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no packages to test", m.name))
		}
		b, err := os.ReadFile(filepath.Join(root, m.file))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
			continue
		}
		if _, err := m.apply(string(b)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func main() {
	only := flag.String("only", "", "run only the mutations whose name matches this regular expression")
	list := flag.Bool("list", false, "list the mutations (after checking them against the code) and exit")
	keep := flag.Bool("keep", false, "keep the temporary copy")
	timeout := flag.Duration("timeout", 10*time.Minute, "time limit of one mutation's tests")
	flag.Parse()
	if err := run(*only, *list, *keep, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(1)
	}
}

func run(only string, listOnly, keep bool, timeout time.Duration) error {
	start := time.Now()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if err := check(root, mutations); err != nil {
		return fmt.Errorf("the mutation list does not match the code; nothing was run:\n%w", err)
	}
	selected := mutations
	if only != "" {
		re, err := regexp.Compile(only)
		if err != nil {
			return err
		}
		selected = nil
		for _, m := range mutations {
			if re.MatchString(m.name) {
				selected = append(selected, m)
			}
		}
		if len(selected) == 0 {
			return fmt.Errorf("no mutation matches %q", only)
		}
	}
	if listOnly {
		for _, m := range mutations {
			fmt.Printf("%-34s %-30s %s -run %q\n", m.name, m.file, strings.Join(m.pkgs, " "), m.run)
		}
		return nil
	}

	tmp, err := os.MkdirTemp("", "certreg-mutate-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("mutate: copy kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if err := copyRepo(root, tmp); err != nil {
		return err
	}

	// The tests must pass on the unchanged copy, or every mutation would
	// look caught.
	fmt.Printf("mutate: %d mutations; baseline run of their tests on the unchanged code\n", len(selected))
	t0 := time.Now()
	if out, err := goTest(tmp, baseline(selected), timeout); err != nil {
		os.Stdout.Write(tail(out, 60))
		return fmt.Errorf("the tests fail without any mutation: %w", err)
	}
	fmt.Printf("mutate: baseline passed in %.1fs\n", time.Since(t0).Seconds())

	var survived, broken []string
	for i, m := range selected {
		t0 := time.Now()
		path := filepath.Join(tmp, m.file)
		orig, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		mutated, err := m.apply(string(orig))
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(mutated), 0o644); err != nil {
			return err
		}
		out, testErr := goTest(tmp, testArgs(m.pkgs, m.run), timeout)
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			return err
		}
		verdict, detail := judge(out, testErr)
		fmt.Printf("[%2d/%d] %-34s %-8s %5.1fs  %s\n", i+1, len(selected), m.name, verdict, time.Since(t0).Seconds(), detail)
		switch verdict {
		case "SURVIVED":
			survived = append(survived, m.name)
		case "BROKEN":
			broken = append(broken, m.name)
			os.Stdout.Write(tail(out, 20))
		}
	}
	took := time.Since(start).Round(time.Second)
	if len(survived)+len(broken) > 0 {
		var msg []string
		if len(survived) > 0 {
			msg = append(msg, fmt.Sprintf("%d planted bug(s) survived the tests: %s", len(survived), strings.Join(survived, ", ")))
		}
		if len(broken) > 0 {
			msg = append(msg, fmt.Sprintf("%d mutation(s) do not compile: %s", len(broken), strings.Join(broken, ", ")))
		}
		return fmt.Errorf("%s (%s)", strings.Join(msg, "; "), took)
	}
	fmt.Printf("mutate: all %d planted bugs caught in %s\n", len(selected), took)
	return nil
}

var failRe = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// judge reads a test run: caught (with the failing tests), survived, or
// broken when the mutated code does not build.
func judge(out []byte, err error) (verdict, detail string) {
	if err == nil {
		return "SURVIVED", "every test passed"
	}
	var names []string
	seen := map[string]bool{}
	for _, m := range failRe.FindAllSubmatch(out, -1) {
		n := string(m[1])
		if i := strings.IndexByte(n, '/'); i > 0 {
			n = n[:i]
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 && (bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]"))) {
		return "BROKEN", "does not build"
	}
	if len(names) == 0 {
		if errors.Is(err, context.DeadlineExceeded) {
			return "caught", "timed out"
		}
		return "caught", "test binary failed"
	}
	sort.Strings(names)
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return "caught", strings.Join(names, ", ")
}

func testArgs(pkgs []string, run string) []string {
	args := []string{"test", "-count=1"}
	if run != "" {
		args = append(args, "-run", run)
	}
	return append(args, pkgs...)
}

// baseline is one test run covering every selected mutation's tests.
func baseline(list []mutation) []string {
	pkgs := map[string]bool{}
	var runs []string
	whole := false
	for _, m := range list {
		for _, p := range m.pkgs {
			pkgs[p] = true
		}
		if m.run == "" {
			whole = true
		}
		runs = append(runs, m.run)
	}
	var ps []string
	for p := range pkgs {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	run := ""
	if !whole {
		run = "(" + strings.Join(runs, ")|(") + ")"
	}
	return testArgs(ps, run)
}

func goTest(dir string, args []string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}

func tail(b []byte, lines int) []byte {
	parts := bytes.Split(b, []byte("\n"))
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return append(bytes.Join(parts, []byte("\n")), '\n')
}

func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("not inside the git repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// copyRepo copies the files git knows (tracked, and new ones not ignored)
// as they are on disk, so uncommitted changes are tested too.
func copyRepo(root, dst string) error {
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return err
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if rel == "" {
			continue
		}
		src := filepath.Join(root, rel)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := copyFile(src, filepath.Join(dst, rel), info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
