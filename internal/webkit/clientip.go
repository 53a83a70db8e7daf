package webkit

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the peers whose X-Forwarded-For is believed
// (TRAMITA_TRUSTED_PROXIES). The zero value trusts nobody: the client is
// RemoteAddr.
type Proxies []netip.Prefix

// ParseTrustedProxies reads TRAMITA_TRUSTED_PROXIES: addresses or CIDR
// prefixes separated by commas or spaces, e.g. "127.0.0.1, 10.0.0.0/8".
func ParseTrustedProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// ClientAddr is the address of the client: RemoteAddr, or, when that peer
// is a trusted proxy, the rightmost X-Forwarded-For address that is not a
// trusted proxy itself (the left part of the header is the client's to
// write, so it is not believed). An unparsable RemoteAddr gives the zero
// Addr.
func (p Proxies) ClientAddr(r *http.Request) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !p.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !p.trusted(addr) {
			break
		}
	}
	return addr
}

// ClientKey is LimitKey(ClientAddr(r)): the rate-limit bucket of r's client.
func (p Proxies) ClientKey(r *http.Request) string { return LimitKey(p.ClientAddr(r)) }

func (p Proxies) trusted(a netip.Addr) bool {
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// parseHostAddr parses "host:port" or a bare address; invalid gives the
// zero Addr.
func parseHostAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// LimitKey is the rate-limit bucket of a client: its IPv4 address, or the
// /64 of an IPv6 address (one subscriber usually holds a whole /64);
// "unknown" for the zero Addr.
func LimitKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
