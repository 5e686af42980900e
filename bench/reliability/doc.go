// Package reliability benchmarks runtime/breaker and runtime/retry against
// the libraries they are measured by: sony/gobreaker v2 (closed success path,
// failing paths, two-step API) and cenkalti/backoff v5 (overhead of an
// immediately successful retry loop, delay computation).
//
//	cd bench && go test -run '^$' -bench . -benchmem ./reliability/
package reliability
