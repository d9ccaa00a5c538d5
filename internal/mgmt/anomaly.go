package mgmt

import (
	"context"
	"net/http"
	"net/netip"
)

// IPBlocks is suspicious IP throttling's view of an address (guard.Throttle).
type IPBlocks interface {
	Blocked(ctx context.Context, ip string) (bool, error)
	Unblock(ctx context.Context, ip string) error
}

// anomaly serves /anomaly/blocks/ips/{id}: whether suspicious IP throttling blocks an address
// (200 blocked, 404 not), and lifting the block on every node (204).
type anomaly struct {
	blocks IPBlocks
}

func (h *Handler) anomalyRoutes() []route {
	g := &anomaly{blocks: h.opts.IPBlocks}
	return []route{
		{method: "GET", path: "/anomaly/blocks/ips/{id}", scopes: []string{"read:anomaly_blocks"}, fn: g.check},
		{method: "DELETE", path: "/anomaly/blocks/ips/{id}", scopes: []string{"delete:anomaly_blocks"},
			desc: "Unblock an IP address", fn: g.unblock},
	}
}

var nfIPBlock = &apiError{http.StatusNotFound, "inexistent_ip_block", "IP address specified is not currently blocked."}

// ip reads the path's address in the form the throttle counts it (an IPv4-mapped IPv6 address is
// its IPv4 address).
func ipParam(c *call) (string, error) {
	a, err := netip.ParseAddr(c.r.PathValue("id"))
	if err != nil || a.Zone() != "" {
		return "", refuse(http.StatusBadRequest, codeInvalidURI, "Path validation error: 'String does not match format ipv4 or ipv6' on property id.")
	}
	return a.Unmap().String(), nil
}

func (g *anomaly) check(c *call) (int, any, error) {
	ip, err := ipParam(c)
	if err != nil {
		return 0, nil, err
	}
	if g.blocks == nil {
		return 0, nil, nfIPBlock
	}
	blocked, err := g.blocks.Blocked(c.ctx(), ip)
	if err != nil {
		return 0, nil, err
	}
	if !blocked {
		return 0, nil, nfIPBlock
	}
	return http.StatusOK, nil, nil
}

func (g *anomaly) unblock(c *call) (int, any, error) {
	ip, err := ipParam(c)
	if err != nil {
		return 0, nil, err
	}
	if g.blocks != nil {
		if err := g.blocks.Unblock(c.ctx(), ip); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusNoContent, nil, nil
}
