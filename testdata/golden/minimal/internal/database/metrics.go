package database

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector exports the statistics of a pgx pool to Prometheus.
type PoolCollector struct {
	pool  *pgxpool.Pool
	descs poolDescs
}

type poolDescs struct {
	acquired, idle, total, max, acquireCount, acquireDuration, emptyAcquire, canceledAcquire *prometheus.Desc
}

// NewPoolCollector returns a collector reading pool's statistics at each scrape.
func NewPoolCollector(pool *pgxpool.Pool) *PoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("pgxpool_"+name, help, nil, nil)
	}
	return &PoolCollector{pool: pool, descs: poolDescs{
		acquired:        d("acquired_conns", "Connections currently in use."),
		idle:            d("idle_conns", "Idle connections."),
		total:           d("total_conns", "All open connections."),
		max:             d("max_conns", "Maximum size of the pool."),
		acquireCount:    d("acquire_total", "Successful acquires."),
		acquireDuration: d("acquire_duration_seconds_total", "Time spent waiting in acquires."),
		emptyAcquire:    d("empty_acquire_total", "Acquires that waited for a connection."),
		canceledAcquire: d("canceled_acquire_total", "Acquires canceled by their context."),
	}}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	d := c.descs
	for _, desc := range []*prometheus.Desc{d.acquired, d.idle, d.total, d.max, d.acquireCount, d.acquireDuration, d.emptyAcquire, d.canceledAcquire} {
		ch <- desc
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	d := c.descs
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v)
	}
	counter := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, v)
	}
	gauge(d.acquired, float64(s.AcquiredConns()))
	gauge(d.idle, float64(s.IdleConns()))
	gauge(d.total, float64(s.TotalConns()))
	gauge(d.max, float64(s.MaxConns()))
	counter(d.acquireCount, float64(s.AcquireCount()))
	counter(d.acquireDuration, s.AcquireDuration().Seconds())
	counter(d.emptyAcquire, float64(s.EmptyAcquireCount()))
	counter(d.canceledAcquire, float64(s.CanceledAcquireCount()))
}
