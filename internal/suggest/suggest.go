// Package suggest finds the nearest of a few known names to a mistyped one,
// for "did you mean …?" hints in error messages.
package suggest

import "strings"

// Closest returns the candidate nearest to input (case-insensitive edit
// distance, the earliest candidate on a tie), or "" when none is close: a
// candidate is close when input is a prefix of it of at least two
// characters, or when the distance is at most a third of the longer name
// (and at least 1). An exact match is returned as is.
func Closest(input string, candidates []string) string {
	in := strings.ToLower(strings.TrimSpace(input))
	if in == "" {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := distance(in, lc)
		if len(in) >= 2 && strings.HasPrefix(lc, in) && d > 0 {
			d = 1 // a prefix of a name is as good as one typo
		}
		if d > max(1, max(len([]rune(in)), len([]rune(lc)))/3) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Hint is " (did you mean X?)" for the closest candidate, or "".
func Hint(input string, candidates []string) string {
	if c := Closest(input, candidates); c != "" && c != input {
		return " (did you mean " + c + "?)"
	}
	return ""
}

// distance is the Levenshtein distance between a and b, in runes, with an
// adjacent transposition counted as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// HintBy is Hint over the names of items.
func HintBy[T any](input string, items []T, name func(T) string) string {
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = name(it)
	}
	return Hint(input, names)
}
