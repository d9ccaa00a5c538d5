package mgmt

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/store"
)

// invitationBody is Auth0's invitation create request (spec §3.6).
type invitationBody struct {
	Inviter             *domain.InvitationInviter `json:"inviter"`
	Invitee             *domain.InvitationInvitee `json:"invitee"`
	ClientID            *string                   `json:"client_id"`
	ConnectionID        *string                   `json:"connection_id"`
	AppMetadata         map[string]any            `json:"app_metadata"`
	UserMetadata        map[string]any            `json:"user_metadata"`
	TTLSec              *int64                    `json:"ttl_sec"`
	Roles               []string                  `json:"roles"`
	SendInvitationEmail *bool                     `json:"send_invitation_email"`
}

// invitationView is an invitation as the Management API shows it. The ticket and the URL that
// carries it are shown only in the create answer: only the ticket's hash is kept.
type invitationView struct {
	*domain.Invitation
	CreatedAt     string         `json:"created_at"`
	ExpiresAt     string         `json:"expires_at"`
	AppMetadata   map[string]any `json:"app_metadata"`
	UserMetadata  map[string]any `json:"user_metadata"`
	Roles         []string       `json:"roles"`
	InvitationURL string         `json:"invitation_url,omitempty"`
	TicketID      string         `json:"ticket_id,omitempty"`
}

func newInvitationView(inv *domain.Invitation) invitationView {
	v := invitationView{Invitation: inv, CreatedAt: isoTime(inv.CreatedAt), ExpiresAt: isoTime(inv.ExpiresAt),
		AppMetadata: inv.AppMetadata, UserMetadata: inv.UserMetadata, Roles: inv.Roles}
	if v.AppMetadata == nil {
		v.AppMetadata = map[string]any{}
	}
	if v.UserMetadata == nil {
		v.UserMetadata = map[string]any{}
	}
	if v.Roles == nil {
		v.Roles = []string{}
	}
	return v
}

// InvitationURL is the link an invitation mail carries: the application's login route with the
// ticket, the organization's id and its name, which the application passes on to /authorize.
func InvitationURL(initiateLoginURI, ticket string, o *domain.Organization) string {
	q := url.Values{"invitation": {ticket}, "organization": {o.ID}, "organization_name": {o.Name}}
	sep := "?"
	if u, err := url.Parse(initiateLoginURI); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	return initiateLoginURI + sep + q.Encode()
}

// createInvitation stores the invitation and queues its user_invitation mail in one transaction:
// either both happen or neither.
func (g *organizations) createInvitation(c *call) (int, any, error) {
	var b invitationBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Inviter == nil || b.Inviter.Name == "":
		return 0, nil, domain.Invalidf("inviter.name", "Missing required property: inviter.name")
	case len(b.Inviter.Name) > 300:
		return 0, nil, domain.Invalidf("inviter.name", "must be at most 300 characters")
	case b.Invitee == nil || b.Invitee.Email == "":
		return 0, nil, domain.Invalidf("invitee.email", "Missing required property: invitee.email")
	case b.ClientID == nil || *b.ClientID == "":
		return 0, nil, domain.Invalidf("client_id", "Missing required property: client_id")
	case b.TTLSec != nil && (*b.TTLSec < 0 || time.Duration(*b.TTLSec)*time.Second > domain.InvitationMaxTTL):
		return 0, nil, domain.Invalidf("ttl_sec", "must be between 0 and 2592000")
	case len(b.Roles) > 50:
		return 0, nil, domain.Invalidf("roles", "at most 50 roles")
	}
	email := domain.NormalizeEmail(b.Invitee.Email)
	if err := domain.CheckEmailAddress(email); err != nil {
		return 0, nil, domain.Invalidf("invitee.email", "must be an email address")
	}
	o, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	client, err := load(ctx, g.st.GetClient, *b.ClientID, nfClient)
	if err != nil {
		return 0, nil, err
	}
	if client.InitiateLoginURI == "" {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The client must have an initiate_login_uri (Application Login URI) to send invitations.")
	}
	if b.ConnectionID != nil && *b.ConnectionID != "" {
		if _, err := g.st.GetOrganizationConnection(ctx, o.ID, *b.ConnectionID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, nil, nfOrgConn
			}
			return 0, nil, err
		}
	}
	for _, r := range b.Roles {
		if _, err := load(ctx, g.st.GetRole, r, nfRole); err != nil {
			return 0, nil, err
		}
	}
	ttl := domain.InvitationDefaultTTL
	if b.TTLSec != nil && *b.TTLSec > 0 {
		ttl = time.Duration(*b.TTLSec) * time.Second
	}
	now := g.now().UTC().Truncate(time.Millisecond)
	ticket, hash := domain.NewTicket()
	inv := &domain.Invitation{ID: domain.NewInvitationID(), OrganizationID: o.ID, TicketHash: hash, Inviter: *b.Inviter,
		Invitee: domain.InvitationInvitee{Email: email}, ClientID: client.ClientID, AppMetadata: b.AppMetadata,
		UserMetadata: b.UserMetadata, Roles: b.Roles, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if b.ConnectionID != nil {
		inv.ConnectionID = *b.ConnectionID
	}
	link := InvitationURL(client.InitiateLoginURI, ticket, o)
	err = g.st.WithTx(ctx, func(tx store.Store) error {
		if err := tx.CreateInvitation(ctx, inv); err != nil {
			return err
		}
		if b.SendInvitationEmail != nil && !*b.SendInvitationEmail {
			return nil
		}
		return g.queueInvitation(c, tx, inv, o, client, link, ttl)
	})
	if err != nil {
		return 0, nil, err
	}
	v := newInvitationView(inv)
	v.InvitationURL, v.TicketID = link, ticket
	return http.StatusCreated, v, nil
}

// queueInvitation renders the user_invitation template (the tenant's, else the built-in one) for
// the invitee and queues it through tx. A disabled template sends nothing, as Auth0 does.
func (g *organizations) queueInvitation(c *call, tx store.Store, inv *domain.Invitation, o *domain.Organization,
	client *domain.Client, link string, ttl time.Duration) error {
	ctx := c.ctx()
	t, err := g.mail.Template(ctx, domain.TemplateUserInvitation)
	if err != nil || !t.Enabled {
		return err
	}
	meta := map[string]any{}
	for k, v := range o.Metadata {
		meta[k] = v
	}
	m, _, err := g.mail.RenderOrDefault(ctx, t, mailtemplateData(inv, o, client, link, ttl, meta))
	if err != nil {
		return err
	}
	m.Kind, m.ClientID, m.UserID = domain.TemplateUserInvitation, client.ClientID, ""
	return tx.EnqueueEmail(ctx, m)
}

func (g *organizations) loadInvitation(c *call) (*domain.Invitation, error) {
	id, err := g.id(c)
	if err != nil {
		return nil, err
	}
	inv, err := g.st.GetInvitation(c.ctx(), id, c.r.PathValue("invitation_id"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nfInvitation
	}
	return inv, err
}

// getInvitation and listInvitations take `fields` and `include_fields` as Auth0 does (auth0 v7's
// organizations.invitations.get and list send them).
func (g *organizations) getInvitation(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	inv, err := g.loadInvitation(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pr.apply(newInvitationView(inv)), nil
}

func (g *organizations) deleteInvitation(c *call) (int, any, error) {
	inv, err := g.loadInvitation(c)
	if err != nil {
		return 0, nil, err
	}
	if err := g.st.DeleteInvitation(c.ctx(), inv.OrganizationID, inv.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfInvitation
		}
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (g *organizations) listInvitations(c *call) (int, any, error) {
	p, pr, err := c.listQuery()
	if err != nil {
		return 0, nil, err
	}
	id, err := g.id(c)
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.st.ListInvitations(c.ctx(), id, p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("invitations", views(list, func(inv *domain.Invitation) any { return pr.apply(newInvitationView(inv)) }), total), nil
}

// mailtemplateData is what the user_invitation template sees: the invitee as the user, the
// inviter, and the organization (Auth0's inviter.name and organization.* variables).
func mailtemplateData(inv *domain.Invitation, o *domain.Organization, client *domain.Client, link string, ttl time.Duration,
	meta map[string]any) mailtemplate.Data {
	return mailtemplate.Data{
		User: &domain.User{Email: inv.Invitee.Email}, Client: client, URL: link, Lifetime: ttl,
		Extra: map[string]any{
			"inviter":      map[string]any{"name": inv.Inviter.Name},
			"organization": map[string]any{"id": o.ID, "name": o.Name, "display_name": o.DisplayName, "metadata": meta},
		},
	}
}
