package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"certreg/data"
	"certreg/store"
)

type segmentsData struct {
	Segments    []store.Segment
	Filter      segmentQuery
	Years       []int
	Occupations []store.Occupation
	Levels      []data.Level
	Cities      []data.City
	OccName     map[string]string
}

type segmentQuery struct {
	Year, Occupation, Level, Region string
}

// segments is 号段维护: the segments that have issued certificates.
func (s *Server) segments(c *fiber.Ctx) error {
	q := segmentQuery{Year: c.Query("year"), Occupation: c.Query("occupation"), Level: c.Query("level"), Region: c.Query("region")}
	year, _ := strconv.Atoi(q.Year)
	level, _ := strconv.Atoi(q.Level)
	list, err := s.st.Segments(store.SegmentFilter{Year: year, Occupation: q.Occupation, Level: level, Region: q.Region})
	if err != nil {
		return err
	}
	occs, err := s.st.Occupations()
	if err != nil {
		return err
	}
	d := segmentsData{Segments: list, Filter: q, Occupations: occs, Levels: data.Levels(), Cities: s.cities(), OccName: map[string]string{}}
	for _, o := range occs {
		d.OccName[o.Code] = o.Name
	}
	for y := s.now().In(cst).Year(); y >= 2020; y-- {
		d.Years = append(d.Years, y)
	}
	if isHTMX(c) && c.Get("HX-Target") == "segment-table" {
		return s.fragment(c, fiber.StatusOK, tplSegmentRows, d)
	}
	return s.render(c, fiber.StatusOK, tplSegments, "号段维护", d, nil)
}

type segmentData struct {
	Segment store.Segment
	OccName string
	City    string
	Form    map[string]string
}

func (s *Server) segmentPage(c *fiber.Ctx) error { return s.renderSegment(c, fiber.StatusOK, nil, nil) }

func (s *Server) renderSegment(c *fiber.Ctx, status int, form map[string]string, errs map[string]string) error {
	sg, err := s.st.Segment(c.Params("code"))
	if err != nil {
		return err
	}
	d := segmentData{Segment: sg, Form: form}
	if o, err := s.st.Occupation(sg.Occupation); err == nil {
		d.OccName = o.Name
	}
	if city, ok := data.CityByCode(sg.Region); ok {
		d.City = city.Name
	} else {
		d.City = sg.Region
	}
	if d.Form == nil {
		d.Form = map[string]string{"current": strconv.Itoa(sg.Current), "end": strconv.Itoa(sg.End)}
	}
	return s.render(c, status, tplSegment, "调整号段 "+sg.Code, d, errs)
}

func (s *Server) raiseSegment(c *fiber.Ctx) error {
	w := whoOf(c)
	f := formMap(c, "current", "end")
	cur, err1 := strconv.Atoi(f["current"])
	end, err2 := strconv.Atoi(f["end"])
	if err1 != nil || err2 != nil {
		return s.renderSegment(c, fiber.StatusUnprocessableEntity, f, map[string]string{"": "当前号和终止号应为整数。"})
	}
	sg, err := s.st.RaiseSegment(w.actor(c.IP()), c.Params("code"), cur, end)
	if err != nil {
		errs, err := inputErrors(err)
		if err != nil {
			return err
		}
		return s.renderSegment(c, fiber.StatusUnprocessableEntity, f, errs)
	}
	s.flash(c, "号段 "+sg.Code+" 已调整。")
	return s.redirect(c, "/segments?year="+strconv.Itoa(sg.Year))
}
