package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// authRequestBodies are fresh values of every request body of the auth and
// users routes.
var authRequestBodies = []func() Request{
	func() Request { return &registerRequest{} },
	func() Request { return &loginRequest{} },
	func() Request { return &profileRequest{} },
	func() Request { return &passwordChangeRequest{} },
	func() Request { return &deleteSelfRequest{} },
	func() Request { return &statusRequest{} },
	func() Request { return &resetPasswordRequest{} },
	func() Request { return &createUserRequest{} },
	func() Request { return &roleRequest{} },
	func() Request { return &deleteUserRequest{} },
}

// FuzzAuthRequestBodies decodes arbitrary bytes as each request body through
// BindBody and WriteError, the path every auth and users handler takes. Whatever the input,
// it must either accept the body with every required field present and no
// NUL in it, or answer 400, 413 or 422 in the error envelope — never panic,
// never a 500.
func FuzzAuthRequestBodies(f *testing.F) {
	seeds := []string{
		`{"username":"alice","email":"a@example.com","password":"Correct7horse!"}`,
		`{"username":"alice","password":"x","user_agent":"ua"}`,
		`{"email":"a@example.com","password":null}`,
		`{"current_password":"a","new_password":"b"}`,
		`{"password":"a","confirmation":"DELETE"}`,
		`{"is_active":false,"reason":"spam"}`,
		`{"role":"admin"}`,
		`{"hard_delete":true}`,
		`{"username":1}`,
		`{"username":"a\u0000b","email":"a@example.com","password":"Correct7horse!"}`,
		`{"username":"alice","password":"x","user_agent":"\ud800"}`,
		"{\"email\":\"a@example.com\",\"password\":\"Correct7horse!\xff\"}",
		`{"current_password":"\udc00","new_password":"b"}`,
		`{"is_active":false,"reason":"\ud83d\ude00 \u0000"}`,
		`[]`, `null`, `"text"`, ``, `{`, `{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		dst := authRequestBodies[int(kind)%len(authRequestBodies)]()
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")
		err := BindBody(c, dst)
		if err == nil {
			if rec.Body.Len() != 0 {
				t.Fatalf("accepted body but wrote %s", rec.Body)
			}
			for _, r := range dst.Rules() {
				if !r.ok {
					t.Fatalf("accepted %q breaking the rule on %s", body, r.field)
				}
			}
			if hasNUL(dst) {
				t.Fatalf("accepted %q with a NUL the database cannot store", body)
			}
			return
		}
		WriteError(c, err)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("body %q answered %d: %s", body, rec.Code, rec.Body)
		}
		var env errorEnvelope
		if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success || env.Error.Code == "" || env.Error.Message == "" {
			t.Fatalf("body %q: not an error envelope: %s", body, rec.Body)
		}
	})
}

// hasNUL reports whether a string field of a request body holds a NUL.
func hasNUL(body Request) bool {
	v := reflect.ValueOf(body).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() && f.Elem().Kind() == reflect.String &&
			strings.ContainsRune(f.Elem().String(), 0) {
			return true
		}
	}
	return false
}
