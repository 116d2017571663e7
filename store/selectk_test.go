package store

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortFirst and sortLast leave the first (last) k elements exactly where a
// full sort puts them, and keep every element, for random lists with many
// repeats, sorted and reversed lists and every k.
func TestSortFirstAndLastMatchASort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lists := [][]int{{}, {5}, {2, 1}}
	for _, n := range []int{17, 100, 363, 2000} {
		random, few, up, down := make([]int, n), make([]int, n), make([]int, n), make([]int, n)
		for i := range n {
			random[i], few[i], up[i], down[i] = r.IntN(1_000_000), r.IntN(3), i, n-i
		}
		lists = append(lists, random, few, up, down)
	}
	for _, list := range lists {
		want := slices.Sorted(slices.Values(list))
		for _, k := range []int{0, 1, 2, 20, 21, len(list) / 2, len(list) - 1, len(list), len(list) + 5} {
			first := slices.Clone(list)
			sortFirst(first, k, cmp.Compare[int])
			last := slices.Clone(list)
			sortLast(last, k, cmp.Compare[int])
			m := min(max(k, 0), len(list))
			if !slices.Equal(first[:m], want[:m]) {
				t.Fatalf("n=%d k=%d: first %v, want %v", len(list), k, first[:m], want[:m])
			}
			if !slices.Equal(last[len(list)-m:], want[len(list)-m:]) {
				t.Fatalf("n=%d k=%d: last %v, want %v", len(list), k, last[len(list)-m:], want[len(list)-m:])
			}
			slices.Sort(first)
			slices.Sort(last)
			if !slices.Equal(first, want) || !slices.Equal(last, want) {
				t.Fatalf("n=%d k=%d: elements lost", len(list), k)
			}
		}
	}
}
