package handlers

import (
	"net"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// ipExtractor finds the client address of a request (rate limits, login
// throttling, comment records). X-Forwarded-For is believed only when the
// connection comes from one of Cfg.TrustedProxies, and then only up to the
// first address that is not a trusted proxy; with none configured the
// socket address is the client. Loopback and private addresses are not
// trusted by themselves: behind a proxy on the same machine every client
// would otherwise pick its own address, and its own rate limit.
func (s *Server) ipExtractor() echo.IPExtractor {
	if len(s.Cfg.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range s.Cfg.TrustedProxies {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ParseTrustedProxies reads a list of proxy addresses and networks
// ("127.0.0.1, 10.0.0.0/8, ::1"), as --trusted-proxies takes them.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
