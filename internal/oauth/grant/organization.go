package grant

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// stillMember refuses a code or refresh token of an organization sign-in once the user is no
// longer a member of that organization: removing a member ends what they were issued through it.
func stillMember(ctx context.Context, st store.OrganizationStore, org *domain.OrgClaims, user *domain.User) (*protocol.Error, error) {
	if org == nil {
		return nil, nil
	}
	ok, err := st.IsOrganizationMember(ctx, org.ID, user.UserID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return protocol.InvalidGrant(fmt.Sprintf("user %s is not part of the %s organization", user.UserID, org.ID)), nil
	}
	return nil, nil
}

// orgEvent gives the post-login Actions of an organization family's refresh what the sign-in gave
// them: event.organization, and the member's roles in it as event.authorization.roles.
func orgEvent(ctx context.Context, st store.Store, org *domain.OrgClaims, user *domain.User, ev *trigger.PostLogin) error {
	if org == nil {
		return nil
	}
	o, err := st.GetOrganization(ctx, org.ID)
	if err != nil {
		return err
	}
	roles, _, err := st.ListOrganizationMemberRoles(ctx, org.ID, user.UserID, store.Page{PerPage: 100})
	if err != nil {
		return err
	}
	ev.Organization, ev.Roles = o, []string{}
	for _, r := range roles {
		ev.Roles = append(ev.Roles, r.Name)
	}
	return nil
}
