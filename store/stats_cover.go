package store

import "time"

// A range of issue days is read as a sum of periods the counters keep (all
// time, years, months, days), some of them subtracted: the first half of a
// month is its days, the second half the month minus the days before;
// most of a year is the year minus a few months; a range open at its start
// is all time minus what follows it. statsCover picks the shorter of the
// two ways at each level, which keeps any range to a few dozen periods.

// statTerm is one period of a range, added (sign 1) or subtracted (-1).
type statTerm struct {
	period [3]byte
	sign   int64
}

func periodTerm(kind byte, n int, sign int64) statTerm {
	return statTerm{period: [3]byte{kind, byte(n >> 8), byte(n)}, sign: sign}
}

// dayOfDate is the day number of a date (months and days may overflow, as
// with time.Date).
func dayOfDate(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(dayEpoch).Hours() / 24)
}

func dateOfDay(n int) (int, time.Month, int) { return dayEpoch.AddDate(0, 0, n).Date() }

// monthOfDay is the month index (year×12 + month−1) of a day number.
func monthOfDay(n int) int {
	y, m, _ := dateOfDay(n)
	return statMonthIndex(y, m)
}

func monthStartDay(mi int) int { return dayOfDate(mi/12, time.Month(mi%12+1), 1) }

// statsCover returns periods whose signed sum is the days from..to
// (inclusive day numbers); end is the last day any certificate can have.
func statsCover(from, to, end int) []statTerm {
	from, to = max(from, 0), min(to, end)
	if from > to {
		return nil
	}
	if from == 0 && to == end {
		return []statTerm{periodTerm(statAll, 0, 1)}
	}
	direct := coverYears(from, to)
	// All time minus the rest needs at least a period per year before
	// from: not worth computing when the range itself takes fewer.
	if y0, _, _ := dateOfDay(from); from > 0 && len(direct) <= y0-2000+1 {
		return direct
	}
	comp := []statTerm{periodTerm(statAll, 0, 1)}
	if from > 0 {
		comp = append(comp, negate(coverYears(0, from-1))...)
	}
	if to < end {
		comp = append(comp, negate(coverYears(to+1, end))...)
	}
	if len(comp) < len(direct) {
		return comp
	}
	return direct
}

func negate(ts []statTerm) []statTerm {
	for i := range ts {
		ts[i].sign = -ts[i].sign
	}
	return ts
}

func coverYears(from, to int) []statTerm {
	y0, _, _ := dateOfDay(from)
	y1, _, _ := dateOfDay(to)
	if y0 == y1 {
		return withinYear(y0, from, to)
	}
	out := withinYear(y0, from, dayOfDate(y0+1, 1, 1)-1)
	for y := y0 + 1; y < y1; y++ {
		out = append(out, periodTerm(statYear, y, 1))
	}
	return append(out, withinYear(y1, dayOfDate(y1, 1, 1), to)...)
}

func withinYear(y, from, to int) []statTerm {
	first, last := dayOfDate(y, 1, 1), dayOfDate(y+1, 1, 1)-1
	if from == first && to == last {
		return []statTerm{periodTerm(statYear, y, 1)}
	}
	direct := coverMonths(from, to)
	comp := []statTerm{periodTerm(statYear, y, 1)}
	if from > first {
		comp = append(comp, negate(coverMonths(first, from-1))...)
	}
	if to < last {
		comp = append(comp, negate(coverMonths(to+1, last))...)
	}
	if len(comp) < len(direct) {
		return comp
	}
	return direct
}

// coverMonths covers days of one year.
func coverMonths(from, to int) []statTerm {
	m0, m1 := monthOfDay(from), monthOfDay(to)
	if m0 == m1 {
		return withinMonth(m0, from, to)
	}
	out := withinMonth(m0, from, monthStartDay(m0+1)-1)
	for m := m0 + 1; m < m1; m++ {
		out = append(out, periodTerm(statMonth, m, 1))
	}
	return append(out, withinMonth(m1, monthStartDay(m1), to)...)
}

func withinMonth(mi, from, to int) []statTerm {
	first, last := monthStartDay(mi), monthStartDay(mi+1)-1
	if from == first && to == last {
		return []statTerm{periodTerm(statMonth, mi, 1)}
	}
	days := func(a, b int, sign int64) []statTerm {
		var out []statTerm
		for d := a; d <= b; d++ {
			out = append(out, periodTerm(statDay, d, sign))
		}
		return out
	}
	direct := days(from, to, 1)
	if to-from+1 <= (last-first+1)/2 {
		return direct
	}
	comp := append([]statTerm{periodTerm(statMonth, mi, 1)}, days(first, from-1, -1)...)
	comp = append(comp, days(to+1, last, -1)...)
	if len(comp) < len(direct) {
		return comp
	}
	return direct
}
