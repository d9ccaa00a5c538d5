package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Run runs every conformance test; newStore must return an empty, migrated store that it closes
// when the test ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Clients", testClients},
		{"ClientFilters", testClientFilters},
		{"ResourceServers", testResourceServers},
		{"ClientGrants", testClientGrants},
		{"Roles", testRoles},
		{"Users", testUsers},
		{"UserSearch", testUserSearch},
		{"UserSearchModel", testUserSearchModel},
		{"UserSort", testUserSort},
		{"UserSuffixInStep", testUserSuffixInStep},
		{"RecordLogin", testRecordLogin},
		{"RolePermissions", testRolePermissions},
		{"UserPermissions", testUserPermissions},
		{"CascadeDeleteClient", testCascadeDeleteClient},
		{"CascadeDeleteResourceServer", testCascadeDeleteResourceServer},
		{"CascadeDeleteUser", testCascadeDeleteUser},
		{"CascadeDeleteRole", testCascadeDeleteRole},
		{"Actions", testActions},
		{"ActionVersionsAndBindings", testActionVersionsAndBindings},
		{"SigningKeys", testSigningKeys},
		{"SigningKeysPerAlg", testSigningKeysPerAlg},
		{"Logs", testLogs},
		{"TenantSettings", testTenantSettings},
		{"Sessions", testSessions},
		{"Transactions", testTransactions},
		{"Codes", testCodes},
		{"RefreshTokens", testRefreshTokens},
		{"RefreshRotationLeeway", testRefreshRotationLeeway},
		{"DeviceCodes", testDeviceCodes},
		{"RevokedAccessTokens", testRevokedAccessTokens},
		{"RevokedOpaqueTokens", testRevokedOpaqueTokens},
		{"DeleteExpired", testDeleteExpired},
		{"WithTx", testWithTx},
		{"Paging", testPaging},
		{"RaceRedeemCode", testRaceRedeemCode},
		{"RaceRotateRefresh", testRaceRotateRefresh},
		{"RaceRotateKeys", testRaceRotateKeys},
		{"RaceRotateKeysPerAlg", testRaceRotateKeysPerAlg},
		{"Counters", testCounters},
		{"RaceHitCounter", testRaceHitCounter},
		{"EmailProvider", testEmailProvider},
		{"EmailOutbox", testEmailOutbox},
		{"RaceClaimEmails", testRaceClaimEmails},
		{"DevMailbox", testDevMailbox},
		{"EmailTemplates", testEmailTemplates},
		{"Jobs", testJobs},
		{"JobWork", testJobWork},
		{"Tickets", testTickets},
		{"RaceRedeemTicket", testRaceRedeemTicket},
		{"Connections", testConnections},
		{"PasswordHistory", testPasswordHistory},
		{"EachCounter", testEachCounter},
		{"Buckets", testBuckets},
		{"RaceHitBucket", testRaceHitBucket},
		{"LogSequence", testLogSequence},
		{"AppendLogs", testAppendLogs},
		{"AttackProtection", testAttackProtection},
		{"LogStreams", testLogStreams},
		{"RaceClaimLogStream", testRaceClaimLogStream},
		{"ClientCredentials", testClientCredentials},
		{"UseOnce", testUseOnce},
		{"RaceUseOnce", testRaceUseOnce},
		{"PushedRequests", testPushedRequests},
		{"BackchannelOutbox", testBackchannelOutbox},
		{"RaceClaimBackchannel", testRaceClaimBackchannel},
		{"Organizations", testOrganizations},
		{"OrganizationMembers", testOrganizationMembers},
		{"OrganizationConnections", testOrganizationConnections},
		{"Invitations", testInvitations},
		{"RaceAddMember", testRaceAddMember},
		{"RaceRedeemInvitation", testRaceRedeemInvitation},
		{"MFA", testMFA},
		{"RememberedBrowsers", testRememberedBrowsers},
		{"RaceUseTOTPStep", testRaceUseTOTPStep},
		{"Identities", testIdentities},
		{"LinkedDatabaseAccount", testLinkedDatabaseAccount},
		{"UsersWithoutEmail", testUsersWithoutEmail},
		{"WebAuthnCredentials", testWebAuthnCredentials},
		{"WebAuthnChallenges", testWebAuthnChallenges},
		{"ActionCache", testActionCache},
		{"RaceActionCache", testRaceActionCache},
		{"ActionExecutions", testActionExecutions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var ctx = context.Background()

// now is a fixed instant at microsecond precision, what both engines keep.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// wantConflict checks err is a *domain.Error with CodeConflict naming field, matching ErrConflict.
func wantConflict(t testing.TB, err error, field string) {
	t.Helper()
	wantErr(t, err, store.ErrConflict)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeConflict || de.Field != field {
		t.Fatalf("error = %#v, want a conflict on %q", err, field)
	}
}

// MustClient creates a confidential regular web app named name.
func MustClient(t testing.TB, s store.Store, name string) *domain.Client {
	t.Helper()
	c := &domain.Client{ClientID: domain.NewClientID(), Name: name, Callbacks: []string{"http://localhost:3000/callback"},
		SecretHash: domain.HashSecret("secret-" + name), ClientMetadata: map[string]string{"k": "v"}}
	domain.ApplyClientDefaults(c)
	must(t, s.CreateClient(ctx, c))
	return c
}

// MustAPI creates an API with the given identifier and permissions.
func MustAPI(t testing.TB, s store.Store, identifier string, perms ...string) *domain.ResourceServer {
	t.Helper()
	rs := &domain.ResourceServer{ID: domain.NewResourceServerID(), Name: "API " + identifier, Identifier: identifier}
	for _, p := range perms {
		rs.Scopes = append(rs.Scopes, domain.Scope{Value: p, Description: "perm " + p})
	}
	domain.ApplyResourceServerDefaults(rs)
	must(t, s.CreateResourceServer(ctx, rs))
	return rs
}

// MustUser creates a database user with the given email.
func MustUser(t testing.TB, s store.Store, email string) *domain.User {
	t.Helper()
	u := &domain.User{UserID: domain.NewUserID(), Email: email, PasswordHash: "$argon2id$v=19$stub",
		AppMetadata: map[string]any{"plan": "pro"}}
	domain.ApplyUserDefaults(u)
	must(t, s.CreateUser(ctx, u))
	return u
}

// OldUserInsert writes a user row the way every schema before migration 0020 holds it, for tests
// that build a database from before a change: $1 user_id, $2 email (lower-cased), $3 name, $4
// nickname (both lower-cased), $5 the JSON document; in the default connection, no username.
const OldUserInsert = `INSERT INTO users (user_id, connection, email, username, name_lower, nickname_lower, email_verified,
	blocked, password_hash, created_at, updated_at, last_login, last_ip, logins_count, last_password_reset, doc)
	VALUES ($1, 'Username-Password-Authentication', $2, NULL, $3, $4, 1 = 0, 1 = 0, '', 1767225600000000, 1767225600000000,
	NULL, '', 0, NULL, $5)`

// MustRole creates a role.
func MustRole(t testing.TB, s store.Store, name string) *domain.Role {
	t.Helper()
	r := &domain.Role{ID: domain.NewRoleID(), Name: name, Description: "role " + name}
	must(t, s.CreateRole(ctx, r))
	return r
}

func perm(api, name string) domain.Permission {
	return domain.Permission{ResourceServerIdentifier: api, PermissionName: name}
}

func mustCount[T any](t testing.TB, list []T, total int, err error, wantLen, wantTotal int) []T {
	t.Helper()
	must(t, err)
	if len(list) != wantLen || total != wantTotal {
		t.Fatalf("got %d items of %d, want %d of %d", len(list), total, wantLen, wantTotal)
	}
	return list
}

func ptr[T any](v T) *T { return &v }

func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func sameTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func seq(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }
