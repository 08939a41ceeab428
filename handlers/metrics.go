package handlers

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics counts requests by route pattern (not raw path, which would
// explode the label space) and status.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	queue    *prometheus.GaugeVec
	gatherer prometheus.Gatherer
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "fedpress_http_request_seconds", Help: "HTTP request duration by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"route"}),
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fedpress_queue_rows", Help: "Rows in the shared queues, read from the database at scrape time."}, []string{"queue", "state"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.queue)
		m.gatherer = reg
	}
	return m
}

// metricsMiddleware records every request.
func (s *Server) metricsMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		if he, ok := err.(*echo.HTTPError); ok && !c.Response().Committed {
			status = he.Code
		}
		s.metrics.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return err
	}
}

// metricsShow serves Prometheus metrics, off unless enabled and always
// behind the bearer token: without a configured token nobody gets them.
// No address is exempt: behind a reverse proxy every client is loopback.
func (s *Server) metricsShow(c echo.Context) error {
	if !s.Cfg.MetricsEnabled || s.metrics.gatherer == nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	tok := s.Cfg.MetricsToken
	if tok == "" {
		return echo.NewHTTPError(http.StatusUnauthorized, "metrics need a token: start the server with --metrics-token")
	}
	got := c.Request().Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+tok)) != 1 {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		return echo.NewHTTPError(http.StatusUnauthorized, "metrics need the bearer token")
	}
	if st, err := s.Store.GetQueueStats(c.Request().Context()); err == nil {
		s.metrics.queue.WithLabelValues("delivery", "pending").Set(float64(st.DeliveriesPending))
		s.metrics.queue.WithLabelValues("delivery", "failed").Set(float64(st.DeliveriesFailed))
		s.metrics.queue.WithLabelValues("inbox", "pending").Set(float64(st.InboxPending))
		s.metrics.queue.WithLabelValues("hosts", "unreachable").Set(float64(st.HostsUnreachable))
	} else {
		s.Log.Warn("metrics: queue stats", "err", err)
	}
	promhttp.HandlerFor(s.metrics.gatherer, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
