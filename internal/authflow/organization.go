package authflow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/web"
)

// Organizations at sign-in (spec §1.2, §3.6). /authorize takes `organization` (an id, or a name
// where the tenant allows names) and `invitation`; the organization step, once the user is known,
// accepts the invitation or checks the membership (adding it where the user's connection assigns
// membership on login), and the code carries the organization into the tokens.

// organizationParam reads organization and invitation into tx under the client's
// organization_usage. A *protocol.Error is the client's answer; any other error is internal.
func (h *Handler) organizationParam(ctx context.Context, get func(string) string, client *domain.Client,
	settings domain.TenantSettings, tx *domain.LoginTransaction) (*protocol.Error, error) {
	param, invitation := get("organization"), get("invitation")
	usage := client.OrganizationUsage
	if usage == "" {
		usage = domain.OrganizationUsageDeny
	}
	if param == "" {
		switch {
		case invitation != "":
			return protocol.InvalidRequest("parameter organization is required with invitation"), nil
		case usage == domain.OrganizationUsageRequire:
			switch b := client.OrganizationRequireBehavior; b {
			case domain.OrganizationRequirePreLoginPrompt, domain.OrganizationRequirePostLoginPrompt:
				// The organization is asked for (orgprompt.go): by name before the login form,
				// or picked among the user's organizations after it.
				tx.OrganizationPrompt = b
				return nil, nil
			}
			return protocol.InvalidRequest("parameter organization is required for this client"), nil
		}
		return nil, nil
	}
	if usage == domain.OrganizationUsageDeny {
		return protocol.InvalidRequest("parameter organization is not allowed for this client"), nil
	}
	var (
		o   *domain.Organization
		err error
	)
	switch {
	case strings.HasPrefix(param, "org_"):
		o, err = h.store.GetOrganization(ctx, param)
	case settings.AllowOrganizationNameInAuthenticationAPI:
		o, err = h.store.GetOrganizationByName(ctx, strings.ToLower(param))
	default:
		return protocol.InvalidRequest("parameter organization must be an organization id (org_…): organization names are not enabled"), nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return protocol.InvalidRequest("no organization found for parameter organization: %s", protocol.Truncate(param, 64)), nil
	}
	if err != nil {
		return nil, fmt.Errorf("authorize: organization: %w", err)
	}
	tx.OrganizationID = o.ID
	if invitation != "" {
		// Only the ticket's hash is stored with the transaction, as in the invitation's own row.
		tx.InvitationHash = domain.HashSecret(invitation)
		// The login and signup forms start with the invited address. Whether the invitation may
		// be accepted is decided once the user is known (checkOrganization).
		inv, err := h.store.FindInvitation(ctx, tx.InvitationHash)
		switch {
		case err == nil && tx.LoginHint == "" && inv.OrganizationID == o.ID && inv.UsedAt == nil:
			tx.LoginHint = inv.Invitee.Email
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("authorize: invitation: %w", err)
		}
	}
	return nil, nil
}

// errInvitationEmail rolls back an invitation accepted by a user of another address.
var errInvitationEmail = errors.New("the invitation was sent to another email address")

// checkOrganization is the organization step: an organization sign-in goes on only for a member
// of the organization, through a connection enabled for it. An invitation is accepted here,
// spending it, adding the membership and the invited roles in one transaction.
func (h *Handler) checkOrganization(w http.ResponseWriter, r *http.Request, f *flow) stepResult {
	tx := f.tx
	if tx.OrganizationID == "" {
		return next
	}
	ctx := r.Context()
	failType, _ := f.logTypes()
	deny := func(reason string) stepResult {
		h.record(r, failType, reason, f.client, f.user)
		h.respondError(w, r, tx, protocol.AccessDenied("%s", reason))
		return answered
	}
	o, err := h.store.GetOrganization(ctx, tx.OrganizationID)
	if errors.Is(err, store.ErrNotFound) {
		return deny("the organization no longer exists")
	}
	if err != nil {
		h.internalError(w, r, fmt.Errorf("organization: %w", err))
		return answered
	}
	conns, err := h.store.ListOrganizationConnections(ctx, o.ID)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("organization connections: %w", err))
		return answered
	}
	var enabled *domain.OrganizationConnection
	for _, c := range conns {
		if c.ConnectionName == f.user.Connection {
			enabled = c
		}
	}
	if enabled == nil {
		return deny(fmt.Sprintf("the connection %s is not enabled for the %s organization", f.user.Connection, o.ID))
	}
	switch {
	case tx.InvitationHash != nil:
		err := h.store.WithTx(ctx, func(st store.Store) error {
			inv, err := st.RedeemInvitation(ctx, tx.InvitationHash, o.ID, h.now().UTC())
			if err != nil {
				return err
			}
			if domain.NormalizeEmail(inv.Invitee.Email) != domain.NormalizeEmail(f.user.Email) {
				return errInvitationEmail
			}
			if err := st.AddOrganizationMembers(ctx, o.ID, []string{f.user.UserID}); err != nil {
				return err
			}
			var roles []string
			for _, id := range inv.Roles {
				// A role deleted since the invitation was sent is not granted.
				if _, err := st.GetRole(ctx, id); err == nil {
					roles = append(roles, id)
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			if len(roles) == 0 {
				return nil
			}
			return st.AddOrganizationMemberRoles(ctx, o.ID, f.user.UserID, roles)
		})
		switch {
		case errors.Is(err, store.ErrAlreadyUsed):
			return deny("the invitation has already been used")
		case errors.Is(err, store.ErrNotFound):
			return deny("the invitation is not valid for this organization or has expired")
		case errors.Is(err, errInvitationEmail):
			return deny(errInvitationEmail.Error())
		case err != nil:
			h.internalError(w, r, fmt.Errorf("organization invitation: %w", err))
			return answered
		}
		// Spent and the membership added: a later pass over the steps (the MFA step stores this
		// transaction again and dispatches anew) checks the membership instead of spending the
		// invitation a second time.
		tx.InvitationHash = nil
	default:
		member, err := h.store.IsOrganizationMember(ctx, o.ID, f.user.UserID)
		if err != nil {
			h.internalError(w, r, fmt.Errorf("organization membership: %w", err))
			return answered
		}
		if !member {
			if !enabled.AssignMembershipOnLogin {
				return deny(fmt.Sprintf("user %s is not part of the %s organization", f.user.UserID, o.ID))
			}
			if err := h.store.AddOrganizationMembers(ctx, o.ID, []string{f.user.UserID}); err != nil {
				h.internalError(w, r, fmt.Errorf("organization membership: %w", err))
				return answered
			}
		}
	}
	settings, err := h.store.GetTenantSettings(ctx)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("tenant settings: %w", err))
		return answered
	}
	f.org = &domain.OrgClaims{ID: o.ID}
	if settings.AllowOrganizationNameInAuthenticationAPI {
		f.org.Name = o.Name
	}
	f.organization = o
	roles, _, err := h.store.ListOrganizationMemberRoles(ctx, o.ID, f.user.UserID, store.Page{PerPage: 100})
	if err != nil {
		h.internalError(w, r, fmt.Errorf("organization roles: %w", err))
		return answered
	}
	f.orgRoles = []string{}
	for _, role := range roles {
		f.orgRoles = append(f.orgRoles, role.Name)
	}
	return next
}

// heldPermissions are the permissions RBAC reads for the user on an API: in an organization
// sign-in those of the member's roles in that organization only (Auth0's organization RBAC),
// otherwise the user's tenant-wide ones.
func (h *Handler) heldPermissions(ctx context.Context, org *domain.OrgClaims, userID, audience string) ([]string, error) {
	if org != nil {
		return h.store.OrganizationMemberPermissionNames(ctx, org.ID, userID, audience)
	}
	return h.store.UserPermissionNames(ctx, userID, audience)
}

// orgView is what the hosted pages show of the organization a sign-in goes through: its name,
// its branding over the tenant's, and the connections it enables (by connection name).
type orgView struct {
	org   *domain.Organization
	conns map[string]*domain.OrganizationConnection
}

// organizationView is the organization of tx for its pages; nil outside an organization sign-in
// (or when it cannot be read: checkOrganization refuses the sign-in once the user is known).
func (h *Handler) organizationView(ctx context.Context, tx *domain.LoginTransaction) *orgView {
	if tx.OrganizationID == "" {
		return nil
	}
	o, err := h.store.GetOrganization(ctx, tx.OrganizationID)
	if err != nil {
		return nil
	}
	conns, err := h.store.ListOrganizationConnections(ctx, o.ID)
	if err != nil {
		h.logger.WarnContext(ctx, "organization connections not listed", "err", err)
	}
	v := &orgView{org: o, conns: make(map[string]*domain.OrganizationConnection, len(conns))}
	for _, c := range conns {
		v.conns[c.ConnectionName] = c
	}
	return v
}

// enables tells whether the organization offers the named connection.
func (v *orgView) enables(name string) bool { return v.conns[name] != nil }

// signupAllowed tells whether a new account may be made through the organization with the named
// database connection: its is_signup_enabled, or an invitation being accepted.
func (v *orgView) signupAllowed(name string, tx *domain.LoginTransaction) bool {
	c := v.conns[name]
	return c != nil && (c.IsSignupEnabled || tx.InvitationHash != nil)
}

// buttons keeps the provider buttons of the connections the organization enables and shows.
func (v *orgView) buttons(all []web.ProviderButton) []web.ProviderButton {
	var out []web.ProviderButton
	for _, b := range all {
		if c := v.conns[b.Connection]; c != nil && c.ShowAsButton {
			out = append(out, b)
		}
	}
	return out
}

// pageBase is the hosted page's base for tx: the tenant's, with the organization's logo and
// colours in place of the tenant's where it sets them (Auth0 brands an organization's login).
func (h *Handler) pageBase(ctx context.Context, v *orgView) web.Base {
	b := h.base(ctx)
	if v == nil || v.org.Branding == nil {
		return b
	}
	var logo, favicon, primary, background string
	if s, err := h.store.GetTenantSettings(ctx); err == nil {
		logo, favicon, primary, background = s.BrandingParts()
	}
	ob := v.org.Branding
	if ob.LogoURL != "" {
		logo = ob.LogoURL
	}
	if c := ob.Colors; c != nil {
		if c.Primary != "" {
			primary = c.Primary
		}
		if c.PageBackground != "" {
			background = c.PageBackground
		}
	}
	b.Brand = web.NewBrand(logo, favicon, primary, background)
	return b
}
