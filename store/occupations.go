package store

import (
	bolt "go.etcd.io/bbolt"

	"certreg/data"
)

// Occupation is an entry of the occupation (工种) catalogue.
type Occupation struct {
	Code   string `json:"code"` // 3 digits
	Name   string `json:"name"`
	Levels []int  `json:"levels"`
}

// seedOccupationsTx loads the shipped catalogue into an empty bucket.
func seedOccupationsTx(tx *bolt.Tx) error {
	b := tx.Bucket(bOccupations)
	if k, _ := b.Cursor().First(); k != nil {
		return nil
	}
	for _, o := range data.Occupations() {
		if err := putJSON(b, []byte(o.Code), Occupation{Code: o.Code, Name: o.Name, Levels: o.Levels}); err != nil {
			return err
		}
	}
	return nil
}

// Occupations lists the catalogue by code.
func (s *Store) Occupations() ([]Occupation, error) {
	var out []Occupation
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOccupations).ForEach(func(k, v []byte) error {
			var o Occupation
			if err := jsonUnmarshal(v, &o); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	return out, err
}
