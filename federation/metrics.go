package federation

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the federation counters. They live on the Service (no global
// registry) so tests can run many servers in one process.
type Metrics struct {
	InboxAccepted   *prometheus.CounterVec // by activity type
	InboxRejected   *prometheus.CounterVec // by reason
	InboxProcessed  *prometheus.CounterVec // by activity type and outcome
	Deliveries      *prometheus.CounterVec // by outcome: delivered, retry, failed, skipped
	DeliveryLatency prometheus.Histogram   // seconds per POST
	HostsMarked     prometheus.Counter     // hosts marked unreachable
	QueueDepth      *prometheus.GaugeVec   // pending rows by queue: delivery, inbox
	Fetches         *prometheus.CounterVec // remote fetches by outcome
	KeyFetchWaiting prometheus.Gauge       // inbox requests waiting for a key fetch
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered, for tests and commands).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		InboxAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_inbox_accepted_total", Help: "Inbox activities accepted (202), by type."}, []string{"type"}),
		InboxRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_inbox_rejected_total", Help: "Inbox requests rejected, by reason."}, []string{"reason"}),
		InboxProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_inbox_processed_total", Help: "Inbox activities processed by the worker, by type and outcome."}, []string{"type", "outcome"}),
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_deliveries_total", Help: "Delivery attempts by outcome."}, []string{"outcome"}),
		DeliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "fedpress_delivery_seconds", Help: "Time of one signed delivery POST.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		HostsMarked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fedpress_hosts_marked_unreachable_total", Help: "Remote hosts marked unreachable."}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fedpress_queue_depth", Help: "Rows waiting, by queue (delivery, inbox)."}, []string{"queue"}),
		Fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fedpress_remote_fetches_total", Help: "Remote fetches (actors, keys, objects) by outcome."}, []string{"outcome"}),
		KeyFetchWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fedpress_key_fetch_waiting", Help: "Inbox requests waiting for the fetch of their signer's key."}),
	}
	if reg != nil {
		reg.MustRegister(m.InboxAccepted, m.InboxRejected, m.InboxProcessed, m.Deliveries,
			m.DeliveryLatency, m.HostsMarked, m.QueueDepth, m.Fetches, m.KeyFetchWaiting)
	}
	return m
}
