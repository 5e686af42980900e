package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/starter-go/starter/runtime/breaker"
)

func TestWebhookBreakerKey(t *testing.T) {
	t.Parallel()
	h := webhookHandler{}
	tests := []struct{ payload, want string }{
		{`{"url":"https://Example.com/a"}`, "example.com:443"},
		{`{"url":"https://example.com:443/b"}`, "example.com:443"},
		{`{"url":"http://example.com/"}`, "example.com:80"},
		{`{"url":"http://example.com:8080/"}`, "example.com:8080"},
		{`{"url":"http://[2001:db8::1]:81/"}`, "[2001:db8::1]:81"},
		{`{"url":"/relative"}`, ""},
		{`{"url":3}`, ""},
		{`{}`, ""},
	}
	for _, tt := range tests {
		if got := h.BreakerKey(task(TypeWebhook, tt.payload)); got != tt.want {
			t.Errorf("%s: key %q, want %q", tt.payload, got, tt.want)
		}
	}
}

func keyedSet() *breakerSet {
	reg := NewRegistry()
	reg.Register(TypeWebhook, "", webhookHandler{})
	reg.Register(TypeEmail, "", emailHandler{})
	return newBreakerSet(reg, reg.Types(), func(taskType, key string) *guard {
		return &guard{key: breakerKey{taskType, key}, Breaker: breaker.New(taskType+" "+key, breaker.Settings{FailureThreshold: 1})}
	})
}

func TestBreakerSetKeysOnlyKeyedTypes(t *testing.T) {
	t.Parallel()
	s := keyedSet()
	a := s.forTask(task(TypeWebhook, `{"url":"https://a.example"}`))
	if a != s.forTask(task(TypeWebhook, `{"url":"https://A.example:443/x"}`)) {
		t.Fatal("one host, two breakers")
	}
	if a == s.forTask(task(TypeWebhook, `{"url":"https://b.example"}`)) || a == s.byType[TypeWebhook] {
		t.Fatal("two hosts share a breaker")
	}
	if s.forTask(task(TypeWebhook, `{}`)) != s.byType[TypeWebhook] {
		t.Fatal("a webhook without a host does not use the type's breaker")
	}
	if s.forTask(task(TypeEmail, `{"url":"https://a.example"}`)) != s.byType[TypeEmail] {
		t.Fatal("email is keyed")
	}
}

// The set stays bounded however many hosts payloads name, and forgets the
// breakers that hold nothing before those that remember failures.
func TestBreakerSetIsBounded(t *testing.T) {
	t.Parallel()
	s := keyedSet()
	hostTask := func(i int) *Task { return task(TypeWebhook, fmt.Sprintf(`{"url":"https://h%d.example"}`, i)) }
	open := s.forTask(hostTask(0))
	_ = open.Execute(t.Context(), func(context.Context) error { return errors.New("down") })
	for i := 1; i < 3*maxKeyedBreakers; i++ {
		s.forTask(hostTask(i))
	}
	if n := len(s.byKey); n > maxKeyedBreakers {
		t.Fatalf("%d keyed breakers, at most %d wanted", n, maxKeyedBreakers)
	}
	if s.forTask(hostTask(0)) != open || open.State() != breaker.Open {
		t.Fatal("the open breaker was forgotten while clean ones were kept")
	}
}
