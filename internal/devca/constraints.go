package devca

import (
	"crypto/x509"
	"net"
	"slices"
	"strings"
)

// Name constraints (RFC 5280 §4.2.1.10) bound what the CA's key can vouch
// for. The CA is trusted by the developer's whole machine, and its key lies
// in a plain folder that gets copied, zipped and committed; without them
// that key could sign a certificate for any site and intercept its traffic.
// With them a verifier rejects any leaf naming something outside the
// permitted subtrees, whoever signed it.

// loopbackNets are always permitted: 127.0.0.0/8 and ::1.
var loopbackNets = []*net.IPNet{
	{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
	{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
}

// constrain sets tmpl's name constraints for hosts (already normalised by
// hostList). A permitted list excludes every name of its type that is not
// listed, so:
//   - DNS: "localhost" and ".localhost" (RFC 6761 keeps them on this
//     machine), plus any other configured host name;
//   - IP: the loopback ranges, plus any other configured address alone;
//   - e-mail: mailboxes at localhost only, so the key cannot sign S/MIME
//     certificates for real addresses.
//
// URI names are left unconstrained: not every TLS stack understands URI
// constraints, and a critical extension a client does not understand makes
// it reject the CA; no TLS client matches a host name against a URI name.
func constrain(tmpl *x509.Certificate, hosts []string) {
	tmpl.PermittedDNSDomainsCritical = true
	tmpl.PermittedDNSDomains = []string{"localhost", ".localhost"}
	tmpl.PermittedIPRanges = append([]*net.IPNet(nil), loopbackNets...)
	tmpl.PermittedEmailAddresses = []string{"localhost"}
	for _, h := range hosts {
		ip := net.ParseIP(h)
		switch {
		case ip == nil && h != "localhost" && !strings.HasSuffix(h, ".localhost"):
			tmpl.PermittedDNSDomains = append(tmpl.PermittedDNSDomains, h)
		case ip != nil && !ip.IsLoopback():
			tmpl.PermittedIPRanges = append(tmpl.PermittedIPRanges, singleIP(ip))
		}
	}
}

func singleIP(ip net.IP) *net.IPNet {
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}
}

// constrainedFor reports whether ca carries, as a critical extension,
// exactly the constraints constrain would give it for hosts: a CA made
// before constraints existed, or for other hosts, is not reused. Wider
// constraints than needed are as unwanted as missing ones.
func constrainedFor(ca *x509.Certificate, hosts []string) bool {
	var want x509.Certificate
	constrain(&want, hosts)
	return ca.PermittedDNSDomainsCritical &&
		constraintSummary(ca) == constraintSummary(&want)
}

// constraintSummary renders every name constraint of c in a canonical
// order, so two sets compare as strings.
func constraintSummary(c *x509.Certificate) string {
	nets := func(ns []*net.IPNet) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.String())
		}
		return out
	}
	lists := [][]string{
		c.PermittedDNSDomains, c.ExcludedDNSDomains,
		nets(c.PermittedIPRanges), nets(c.ExcludedIPRanges),
		c.PermittedEmailAddresses, c.ExcludedEmailAddresses,
		c.PermittedURIDomains, c.ExcludedURIDomains,
	}
	var b strings.Builder
	for _, l := range lists {
		l = slices.Clone(l)
		slices.Sort(l)
		b.WriteString(strings.Join(l, ","))
		b.WriteByte('|')
	}
	return b.String()
}
