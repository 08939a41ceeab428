package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"fedpress/federation"
	"fedpress/models"
)

// pingbackCreate is the XML-RPC endpoint for Pingback 1.0 (pingback.ping
// only). It answers at once, always 200 with a result or a fault, even for
// garbage: the source page is fetched and checked later by the link
// verifier, so faults 16 and 17 are never sent and a repeated ping updates
// the stored one instead of fault 48.
func (s *Server) pingbackCreate(c echo.Context) error {
	r := c.Request()
	body := http.MaxBytesReader(c.Response(), r.Body, federation.MaxPingbackBody)
	source, target, err := federation.ParsePingbackCall(body)
	var fault *federation.XMLRPCFault
	if errors.As(err, &fault) {
		return xmlrpcAnswer(c, http.StatusOK, federation.XMLRPCFaultResponse(fault.Code, fault.Message))
	}
	err = s.Fed.ReceiveMention(r.Context(), federation.MentionRequest{
		Kind: models.KindPingback, Source: source, Target: target,
		RemoteIP: c.RealIP(), UserAgent: r.UserAgent(),
	})
	var refused *federation.MentionError
	switch {
	case errors.As(err, &refused):
		return xmlrpcAnswer(c, http.StatusOK, federation.XMLRPCFaultResponse(int(refused.Code), refused.Msg))
	case err != nil:
		s.Log.Error("store pingback", "source", source, "target", target, "err", err)
		return xmlrpcAnswer(c, http.StatusOK, federation.XMLRPCFaultResponse(federation.FaultGeneric, "The pingback could not be stored; please try again later."))
	}
	return xmlrpcAnswer(c, http.StatusOK, federation.XMLRPCResponse("Pingback received. It will appear once the source page has been checked."))
}

// pingbackLimit bounds pings per client address: each stored ping makes the
// link verifier fetch its source. The refusal is an XML-RPC fault, which is
// what pingback clients read, with the HTTP 429 and Retry-After.
func (s *Server) pingbackLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return s.rateLimited(next, s.writeLimits.pingback, func(c echo.Context, wait string) error {
		return xmlrpcAnswer(c, http.StatusTooManyRequests, federation.XMLRPCFaultResponse(federation.FaultAccessDenied,
			"Too many pingbacks from your address; please try again "+wait+"."))
	})
}

// xmlrpcAnswer sends an XML-RPC methodResponse (faults too are HTTP 200,
// except the rate limit's 429).
func xmlrpcAnswer(c echo.Context, status int, body []byte) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(status, "text/xml; charset=utf-8", body)
}
