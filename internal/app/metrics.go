package app

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus series of one instance, on their own registry
// (no global state): logins by outcome, QQ call latency and errors by code.
type Metrics struct {
	Registry *prometheus.Registry
	logins   *prometheus.CounterVec
	qqTime   *prometheus.HistogramVec
	qqErrors *prometheus.CounterVec
}

// NewMetrics registers every series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qqconnect_logins_total", Help: "QQ login flow outcomes.",
		}, []string{"outcome"}),
		qqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "qqconnect_qq_call_duration_seconds", Help: "Latency of calls to the QQ API.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"endpoint"}),
		qqErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "qqconnect_qq_errors_total", Help: "QQ API errors by endpoint and QQ error code (-1 transport).",
		}, []string{"endpoint", "code"}),
	}
	m.Registry.MustRegister(m.logins, m.qqTime, m.qqErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// LoginOutcome counts one flow outcome.
func (m *Metrics) LoginOutcome(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// ObserveQQ records one QQ API call (the qq.Options.Observe hook).
func (m *Metrics) ObserveQQ(endpoint string, d time.Duration, code int) {
	m.qqTime.WithLabelValues(endpoint).Observe(d.Seconds())
	if code != 0 {
		m.qqErrors.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
	}
}
