package store

import (
	"math/bits"
	"slices"
)

// selectK reorders s so that s[k] holds the element a sort by cmp would put
// there, with every element before it ordering at or before it and every
// element after it at or after it (Hoare's selection, "nth element"). A page
// of 20 out of a few hundred matches then costs about 2n comparisons instead
// of n log n. Partitions that stop shrinking fall back to a sort, so no input
// costs more than the sort would.
func selectK[T any](s []T, k int, cmp func(a, b T) int) {
	if k < 0 || k >= len(s) {
		return
	}
	lo, hi := 0, len(s) // the window that holds position k
	for budget := 2 * bits.Len(uint(len(s))); hi-lo > 16; budget-- {
		if budget == 0 {
			slices.SortFunc(s[lo:hi], cmp)
			return
		}
		// Median of three as the pivot, moved to lo.
		m := lo + (hi-lo)/2
		a, b, c := lo, m, hi-1
		if cmp(s[b], s[a]) < 0 {
			a, b = b, a
		}
		if cmp(s[c], s[b]) < 0 {
			b = c
			if cmp(s[b], s[a]) < 0 {
				b = a
			}
		}
		s[lo], s[b] = s[b], s[lo]
		// Three-way partition around the pivot: [lo,lt) below, [lt,gt]
		// equal, (gt,hi) above.
		p := s[lo]
		lt, i, gt := lo, lo+1, hi-1
		for i <= gt {
			switch c := cmp(s[i], p); {
			case c < 0:
				s[lt], s[i] = s[i], s[lt]
				lt++
				i++
			case c > 0:
				s[i], s[gt] = s[gt], s[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k > gt:
			lo = gt + 1
		default:
			return
		}
	}
	slices.SortFunc(s[lo:hi], cmp)
}

// sortFirst sorts the first k elements of s by cmp as a full sort would,
// leaving the rest unordered after them.
func sortFirst[T any](s []T, k int, cmp func(a, b T) int) {
	if k >= len(s) {
		slices.SortFunc(s, cmp)
		return
	}
	if k <= 0 {
		return
	}
	selectK(s, k-1, cmp)
	slices.SortFunc(s[:k], cmp)
}

// sortLast sorts the last k elements of s by cmp as a full sort would,
// leaving the rest unordered before them.
func sortLast[T any](s []T, k int, cmp func(a, b T) int) {
	if k >= len(s) {
		slices.SortFunc(s, cmp)
		return
	}
	if k <= 0 {
		return
	}
	selectK(s, len(s)-k, cmp)
	slices.SortFunc(s[len(s)-k:], cmp)
}
