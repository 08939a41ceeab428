package handlers

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
)

// inboxCreate receives activities: the shared inbox (/inbox), personal
// inboxes (/users/:username/inbox) and the instance actor's (/actor/inbox).
// Checking and storing is federation's (ReceiveInboxGated); the worker
// applies the activity later, so this answers in milliseconds.
func (s *Server) inboxCreate(c echo.Context) error {
	res := s.Fed.ReceiveInboxGated(c.Request().Context(), c.Request(), c.Param("username"), s.inboxGate())
	if res.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(res.RetryAfter.Seconds()))))
	}
	if res.Status == http.StatusAccepted {
		return c.NoContent(http.StatusAccepted)
	}
	// Refusals carry their reason: it is what a peer's admin needs to fix
	// a federation problem, and it reveals nothing about us.
	return c.JSON(res.Status, map[string]any{"error": res.Reason, "status": res.Status})
}

// inboxGate rate-limits inbox POSTs by who signed them, not by client
// address (one instance delivers for all its users from a few addresses).
// Before the signature is verified, a host already over its allowance is
// refused without reading the body or fetching a key; the allowance is
// spent only by verified requests, so forgeries cannot spend another
// host's. After verification the signing actor and its host are counted.
func (s *Server) inboxGate() federation.InboxGate {
	actors, hosts := s.writeLimits.inboxActor, s.writeLimits.inboxHost
	return federation.InboxGate{
		Host: func(host string) time.Duration { return hosts.wait(host, s.Now()) },
		Signer: func(actor, host string) time.Duration {
			now := s.Now()
			if d, first := actors.take(actor, now); d > 0 {
				if first {
					s.Log.Warn("inbox rate limited: further activities of this actor refused until the window passes",
						"actor", actor, "limit", actors.max, "window", actors.window, "retry_after", d.Round(time.Second))
				}
				return d
			}
			if d, first := hosts.take(host, now); d > 0 {
				if first {
					s.Log.Warn("inbox rate limited: further activities from this host refused until the window passes",
						"host", host, "limit", hosts.max, "window", hosts.window, "retry_after", d.Round(time.Second))
				}
				return d
			}
			return 0
		},
	}
}
