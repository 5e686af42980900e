package apptest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/starter-go/starter/templates/project/internal/console"
)

// ConsoleClient browses the operator console as one session: it sends the
// session cookie, and each form with the session's CSRF token unless the
// form sets its own "csrf".
type ConsoleClient struct {
	ta    *TestApp
	Token string
	// Header is added to every request (Sec-Fetch-Site, Origin…).
	Header http.Header
}

// Console returns a client of the console on the session of token ("" for
// none).
func (ta *TestApp) Console(token string) *ConsoleClient {
	return &ConsoleClient{ta: ta, Token: token, Header: http.Header{}}
}

// Get asks for a page.
func (cc *ConsoleClient) Get(path string) *Response {
	cc.ta.t.Helper()
	return cc.do(cc.ta.NewRequest(http.MethodGet, path, nil))
}

// Post sends a form as the browser does.
func (cc *ConsoleClient) Post(path string, form url.Values) *Response {
	cc.ta.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && cc.Token != "" {
		form.Set("csrf", console.CSRFToken(cc.Token))
	}
	req := cc.ta.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return cc.do(req)
}

func (cc *ConsoleClient) do(req *http.Request) *Response {
	cc.ta.t.Helper()
	for k, v := range cc.Header {
		req.Header[k] = v
	}
	if cc.Token != "" {
		req.AddCookie(&http.Cookie{Name: console.SessionCookie, Value: cc.Token}) //nolint:gosec // a request's cookie: only name and value travel
	}
	return cc.ta.Do(req)
}
