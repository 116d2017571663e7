package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"certreg/idcard"
)

// people draws the demo's invented people: names from lists, ID numbers
// valid under GB 11643 and never repeated, phone numbers. Each draw takes
// the same values from rng in the same order, so the world is deterministic.
type people struct {
	rng        *rand.Rand
	men, women []string // given names
	counties   []string // GB/T 2260 county codes
	firstYear  int      // births from firstYear on, over years years
	years      int
	manOdds    int // a person is a man unless rng.IntN(manOdds) == 0
	used       map[string]bool
}

// person draws whether a person is a man, the given name and the ID number.
func (p *people) person() (given, id string) {
	man := p.rng.IntN(p.manOdds) > 0
	given = p.men[p.rng.IntN(len(p.men))]
	if !man {
		given = p.women[p.rng.IntN(len(p.women))]
	}
	for id == "" || p.used[id] {
		birth := time.Date(p.firstYear+p.rng.IntN(p.years), time.Month(1+p.rng.IntN(12)), 1+p.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		seq := p.rng.IntN(500) * 2
		if man {
			seq++
		}
		id = idcard.Make(p.counties[p.rng.IntN(len(p.counties))], birth, seq)
	}
	p.used[id] = true
	return given, id
}

// phone draws a mobile number.
func (p *people) phone() string {
	return fmt.Sprintf("1%d%d%08d", []int{3, 5, 8}[p.rng.IntN(3)], 5+p.rng.IntN(5), p.rng.IntN(100000000))
}
