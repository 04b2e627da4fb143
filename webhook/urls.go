package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrPrivateAddress is the error for a destination memberd will not
// deliver to: a loopback, private, link-local or otherwise internal address.
var ErrPrivateAddress = errors.New("webhook: destination is a loopback, private or internal address")

// internalRanges are special-purpose IPv4 ranges not covered by netip's
// predicates: "this network", shared address space (CGNAT), IETF protocol
// assignments, benchmarking.
var internalRanges = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
}

// Internal reports whether ip is an address memberd does not deliver to
// unless private destinations are allowed.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return true
	}
	for _, p := range internalRanges {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckURL validates an endpoint URL: absolute http or https with a host.
// Unless allowPrivate, a host that is an internal IP address or a localhost
// name is refused; other names are checked when connecting (see Dialer), as
// what they resolve to may change.
func CheckURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute http or https URL")
	}
	if len(raw) > 2048 {
		return errors.New("must be at most 2048 characters")
	}
	if allowPrivate {
		return nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if ip, err := netip.ParseAddr(host); err == nil && Internal(ip) {
		return fmt.Errorf("%s is a loopback, private or internal address, which this server does not deliver to", host)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s is a loopback name, which this server does not deliver to", host)
	}
	return nil
}

// Dialer returns a dialer for webhook deliveries. Unless allowPrivate, it
// refuses to connect to internal addresses, whatever name led there (so a
// DNS answer cannot point a delivery inside the network).
func Dialer(timeout time.Duration, allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || Internal(ap.Addr()) {
				return ErrPrivateAddress
			}
			return nil
		}
	}
	return d
}
