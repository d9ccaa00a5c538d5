package actions

import "time"

// ISOTime formats t as Auth0 renders timestamps in events: UTC with milliseconds.
func ISOTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func orEmptyAny(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyStr(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptySlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// normalized fills nil maps and slices so the script sees {} and [] rather than null,
// as Auth0 sends them.
func (ev PostLoginEvent) normalized() PostLoginEvent {
	ev.User = ev.User.normalized()
	ev.Authorization.Roles = orEmptySlice(ev.Authorization.Roles)
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.Connection.Metadata = orEmptyStr(ev.Connection.Metadata)
	if ev.Organization != nil {
		o := *ev.Organization
		o.Metadata = orEmptyStr(o.Metadata)
		ev.Organization = &o
	}
	ev.Request = ev.Request.normalized()
	ev.Transaction.RequestedScopes = orEmptySlice(ev.Transaction.RequestedScopes)
	ev.Transaction.Metadata = orEmptyAny(ev.Transaction.Metadata)
	ev.Authentication.Methods = orEmptySlice(ev.Authentication.Methods)
	if ev.Session != nil {
		s := *ev.Session
		s.Metadata = orEmptyAny(s.Metadata)
		ev.Session = &s
	}
	return ev
}

func (ev CredentialsExchangeEvent) normalized() CredentialsExchangeEvent {
	ev.Client.Metadata = orEmptyStr(ev.Client.Metadata)
	ev.AccessToken.Scope = orEmptySlice(ev.AccessToken.Scope)
	ev.AccessToken.CustomClaims = orEmptyAny(ev.AccessToken.CustomClaims)
	ev.Transaction.RequestedScopes = orEmptySlice(ev.Transaction.RequestedScopes)
	ev.Request = ev.Request.normalized()
	if ev.Organization != nil {
		o := *ev.Organization
		o.Metadata = orEmptyStr(o.Metadata)
		ev.Organization = &o
	}
	return ev
}

// normalized fills the user's nil metadata and identities, as every trigger's event shows them.
func (u User) normalized() User {
	u.AppMetadata = orEmptyAny(u.AppMetadata)
	u.UserMetadata = orEmptyAny(u.UserMetadata)
	u.Identities = orEmptySlice(u.Identities)
	return u
}

// normalized fills the request's nil query and body, as every trigger's event shows them.
func (q Request) normalized() Request {
	q.Query = orEmptyAny(q.Query)
	q.Body = orEmptyAny(q.Body)
	return q
}
