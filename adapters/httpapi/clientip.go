package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address a request's budgets are counted by. It is the peer's
// address unless the peer is one of the trusted proxies: then it is the right-most
// address of the header the proxies write (forwarded: the for= parameters of Forwarded,
// RFC 7239; otherwise X-Forwarded-For) that is not itself a trusted proxy. The
// addresses left of it were written by the client or by proxies nobody vouches for, so
// they are never taken; nor is the other header, which the proxies pass on as the
// client wrote it.
//
// An IPv6 client is counted by its /64 network, which one subscriber usually holds
// whole: counting single addresses would hand it 2^64 budgets. A hop that is not an
// address (RFC 7239's "unknown" or an obfuscated identifier) is taken as written.
func clientAddr(r *http.Request, trusted []netip.Prefix, forwarded bool) string {
	peer, ok := remoteAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr // not an address (a test's or a custom listener's)
	}
	if !isTrusted(peer, trusted) {
		return addrKey(peer)
	}
	var hops []string
	if forwarded {
		hops = forwardedFor(r.Header)
	} else {
		hops = xForwardedFor(r.Header)
	}
	client := addrKey(peer)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := hopAddr(hops[i])
		if !ok {
			return hops[i]
		}
		client = addrKey(a)
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client
}

// remoteAddr parses an http.Request's RemoteAddr ("host:port", or a bare host).
func remoteAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addrKey is the budget key of an address: an IPv4 address itself, an IPv6 address's
// /64 network.
func addrKey(a netip.Addr) string {
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// hopAddr parses one hop of Forwarded or X-Forwarded-For: an address, with or
// without a port, IPv6 in brackets or not.
func hopAddr(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

// xForwardedFor lists the hops of every X-Forwarded-For field, in order.
func xForwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(v, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				hops = append(hops, hop)
			}
		}
	}
	return hops
}

// forwardedFor lists the for= parameters of every Forwarded field (RFC 7239), in
// order: one per forwarded-element that has one. Quoted values lose their quotes; none
// of the values for= takes holds a comma or a semicolon.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("Forwarded") {
		for elem := range strings.SplitSeq(v, ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(name, "for") {
					if value = strings.Trim(strings.TrimSpace(value), `"`); value != "" {
						hops = append(hops, value)
					}
				}
			}
		}
	}
	return hops
}
