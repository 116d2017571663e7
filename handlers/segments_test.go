package handlers

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSegmentScenarios(t *testing.T) {
	e := newEnv(t)
	get, post := http.MethodGet, http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "province segments page", user: "demo-province", method: get, path: "/segments", status: 200,
			want: []string{"号段维护", "证书代码", "年份"}},
		{name: "segment rows fragment", user: "demo-province", method: get, path: "/segments?year=2026", htmx: true, status: 200,
			want: []string{"segment-table"}, absent: []string{"<html"}},
		{name: "unknown segment", user: "demo-province", method: get, path: "/segments/2634010125", status: 404},
		{name: "raise unknown segment", user: "demo-province", method: post, path: "/segments/2634010125", form: url.Values{"current": {"5"}, "end": {"9999"}}, status: 404},
		{name: "province reviewer lacks segment.manage", user: "ah-reviewer", method: get, path: "/segments", status: 403},
		{name: "dept has no segments", user: "demo-dept", method: get, path: "/segments", status: 403},
		{name: "unit has no segments", user: "demo-unit", method: get, path: "/segments", status: 403},
	})
}
