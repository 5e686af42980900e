package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics counts requests by method, route and status and times them by
// route. Label children are cached, so the hot path takes a read lock and a
// map lookup instead of hashing label values and formatting the status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mu       sync.RWMutex
	children map[metricKey]metricChildren
}

type metricKey struct {
	method, route string
	status        int
}

type metricChildren struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request duration by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		children: map[metricKey]metricChildren{},
	}
	for _, col := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("register http metrics: %w", err)
		}
	}
	return m, nil
}

func (m *httpMetrics) observe(method, route string, status int, elapsed time.Duration) {
	key := metricKey{method: metricMethod(method), route: route, status: status}
	if key.route == "" {
		key.route = "unmatched"
	}
	m.mu.RLock()
	ch, ok := m.children[key]
	m.mu.RUnlock()
	if !ok {
		ch = m.child(key)
	}
	ch.requests.Inc()
	ch.duration.Observe(elapsed.Seconds())
}

func (m *httpMetrics) child(key metricKey) metricChildren {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch, ok := m.children[key]; ok {
		return ch
	}
	ch := metricChildren{
		requests: m.requests.WithLabelValues(key.method, key.route, strconv.Itoa(key.status)),
		duration: m.duration.WithLabelValues(key.route),
	}
	m.children[key] = ch
	return ch
}

// metricMethod keeps the method label bounded: unknown methods count as OTHER.
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
