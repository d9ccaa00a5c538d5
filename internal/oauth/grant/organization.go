package grant

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
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
