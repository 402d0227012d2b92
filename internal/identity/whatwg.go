package identity

import (
	"fmt"
	"net/netip"
	"strings"
)

// Hosts as browsers and fetch read them (the WHATWG URL standard), which is
// not always as net/url and net/netip do: an origin is stored in the form a
// browser sends (NormalizeOrigin), and a webhook's host is judged as fetch
// will reach it (internal/webhook).

// WHATWGIPv4 reads host as the WHATWG URL standard's host parser does
// when the host "ends in a number": isIPv4 reports whether it does, ok
// whether it is then a valid address (fetch refuses the URL otherwise),
// and ip is that address.
func WHATWGIPv4(host string) (ip netip.Addr, isIPv4, ok bool) {
	if strings.Contains(host, ":") {
		return netip.Addr{}, false, false // an IPv6 literal
	}
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	switch {
	case last == "":
		return netip.Addr{}, false, false
	case strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X"):
		if strings.Trim(last[2:], "0123456789abcdefABCDEF") != "" {
			return netip.Addr{}, false, false
		}
	case strings.Trim(last, "0123456789") != "":
		return netip.Addr{}, false, false
	}
	if len(parts) > 4 {
		return netip.Addr{}, true, false
	}
	var n [4]uint64
	for i, p := range parts {
		v, good := whatwgIPv4Number(p)
		if !good || i < len(parts)-1 && v > 255 {
			return netip.Addr{}, true, false
		}
		n[i] = v
	}
	k := len(parts) - 1
	if n[k] >= 1<<(8*(4-k)) {
		return netip.Addr{}, true, false
	}
	addr := n[k]
	for i := 0; i < k; i++ {
		addr |= n[i] << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true, true
}

// whatwgIPv4Number is the standard's "IPv4 number parser": 0x hex, a
// leading 0 octal, else decimal; an empty part or another character fails.
// Values past 2^32 are capped, which still fails every range check.
func whatwgIPv4Number(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
	case len(p) >= 2 && p[0] == '0':
		base, p = 8, p[1:]
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		var d uint64
		switch c := p[i]; {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		if v = v*base + d; v > 1<<32 {
			v = 1 << 32
		}
	}
	return v, true
}

// whatwgIPv6 writes an IPv6 address as the URL standard serializes a host
// (without the brackets): as net/netip does (RFC 5952), except that an
// IPv4-mapped address keeps hexadecimal pieces (::ffff:7f00:1, not
// ::ffff:127.0.0.1).
func whatwgIPv6(ip netip.Addr) string {
	if !ip.Is4In6() {
		return ip.String()
	}
	b := ip.As16()
	return fmt.Sprintf("::ffff:%x:%x", uint16(b[12])<<8|uint16(b[13]), uint16(b[14])<<8|uint16(b[15]))
}
