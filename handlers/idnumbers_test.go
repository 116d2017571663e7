package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Hand-checked ID numbers through the online form (GB 11643: weights
// 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; sum mod 11 indexes "10X98765432"):
//
//	34010219900307123 → 3·7+4·9+0·10+1·5+0·8+2·4+1·2+9·1+9·6+0·3+0·7+3·9
//	                    +0·10+7·5+1·8+2·4+3·2 = 219, 219 mod 11 = 10 → "2"
//	11010519491231002 → 167, 167 mod 11 = 2 → "X" (GB 11643's own example)
func TestFixedIDNumbersThroughTheForm(t *testing.T) {
	e := newEnv(t)
	draft := itoa(batchID(t, e.w, "demo-unit", demoDraft))
	form := func(name, id string) url.Values {
		return url.Values{"name": {name}, "id_number": {id}, "work_unit": {"安徽建工集团"}, "occupation": {"012"}, "level": {"5"}}
	}
	post := http.MethodPost
	runScenarios(t, e, []scenario{
		{name: "check digit 2", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form: form("孙固定", "340102199003071232"), status: http.StatusSeeOther, location: "/batches/" + draft},
		{name: "check digit x typed in lower case", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form: form("周固定", "11010519491231002x"), status: http.StatusSeeOther, location: "/batches/" + draft},
		{name: "wrong check digit 3", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form: form("吴错误", "340102199003071233"), status: 422, want: []string{"校验位错误：最后一位应为 2"}},
		{name: "wrong check digit 0 for X", user: "demo-unit", method: post, path: "/batches/" + draft + "/candidates",
			form: form("郑错误", "110105194912310020"), status: 422, want: []string{"校验位错误：最后一位应为 X"}},
		{name: "the batch shows both, with their gender", user: "demo-unit", method: http.MethodGet, path: "/batches/" + draft, status: 200,
			want: []string{"340102199003071232", "11010519491231002X"}},
	})
	c := e.login("demo-unit")
	body := c.get("/batches/" + draft).body
	for id, gender := range map[string]string{"340102199003071232": "男", "11010519491231002X": "女"} {
		i := strings.Index(body, id)
		if i < 0 || !strings.Contains(body[i:min(len(body), i+400)], gender) {
			t.Errorf("%s: gender %s not shown beside it", id, gender)
		}
	}
}
