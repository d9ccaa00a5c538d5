package web

import "html/template"

// Base is what every page shows: the tenant's friendly name, and the CSP nonce of the response when the
// page runs a script (form_post and web_message only).
type Base struct {
	Tenant string
	Nonce  string
	Brand  Brand // the tenant's logo and colours (Management API /branding)
}

// LoginData fills templates/login.html. The form posts back to Action with the inputs `username` and
// `password` (names fixed: outside tools fill them) plus the hidden `state` and `csrf` fields.
type LoginData struct {
	Base
	ClientName string
	Action     string // the form's URL, /u/login?state=…
	State      string
	CSRF       string
	Username   string // prefilled from login_hint or the previous attempt
	// ByUsername: the connection requires usernames, so the field takes a username or an email.
	ByUsername bool
	Error      string // shown in the aria-live error region
	SignupURL  string // empty hides the link
	ForgotURL  string // the password reset request page, carrying the transaction; empty hides the link
	// Providers are the "Continue with …" buttons, posted with state and csrf to UpstreamAction.
	Providers      []ProviderButton
	UpstreamAction string
	// Organization is the display name (else the name) of the organization signed in through.
	Organization string
	// NoPassword hides the password form: the organization signed in through has not enabled the
	// database connection, so only its other connections' buttons are offered.
	NoPassword bool
	// Passkey offers a sign-in with a passkey; nil when the connection does not enable passkeys.
	Passkey *PasskeyLogin
}

// OrganizationSelectionData fills templates/organization_selection.html, the prompt for an
// organization's name before the login form: the input `organization_name` plus the hidden
// `state` and `csrf` fields.
type OrganizationSelectionData struct {
	Base
	ClientName string
	Action     string
	State      string
	CSRF       string
	Name       string // what was typed, shown again with Error
	Error      string
}

// OrganizationPickerData fills templates/organization_picker.html: one button per organization,
// each posting its `organization` id with the hidden `state` and `csrf` fields.
type OrganizationPickerData struct {
	Base
	ClientName    string
	Action        string
	State         string
	CSRF          string
	Organizations []OrganizationChoice
	Error         string
}

// OrganizationChoice is one organization the picker offers.
type OrganizationChoice struct {
	ID    string
	Label string // the display name, else the name
}

// ProviderButton is one "Continue with …" button: the connection's name (posted as `connection`)
// and what the button says.
type ProviderButton struct {
	Connection string
	Label      string
	Targets    []string // where the button may redirect, for the page's form-action policy
}

// ResetRequestData fills templates/reset_request.html: the input `email` plus hidden `state` (the
// login transaction to return to, may be empty) and `csrf`.
type ResetRequestData struct {
	Base
	Action   string
	State    string
	CSRF     string
	Email    string
	Error    string
	LoginURL string // back to the login form; empty hides the link
}

// ResetPasswordData fills templates/reset_password.html: inputs `password` and `password_confirm`
// plus hidden `ticket` and `csrf`.
type ResetPasswordData struct {
	Base
	Action         string
	Ticket         string
	CSRF           string
	Email          string
	Error          string
	PasswordPolicy string
	PolicyRules    []PolicyRule
}

// ResetNoticeData fills templates/reset_notice.html.
type ResetNoticeData struct {
	Base
	Heading    string
	Paragraphs []string
	Problem    bool   // a warning rather than a success mark
	LinkURL    string // the main button; empty hides it
	LinkText   string
	AltURL     string // a secondary link under it
	AltText    string
}

// UnblockData fills templates/unblock.html: the confirmation a blocked_account link opens, a form
// of the hidden `ticket` and `csrf` and one button. The outcome is shown with ResetNoticeData.
type UnblockData struct {
	Base
	Action string
	Ticket string
	CSRF   string
	Email  string
	Error  string
}

// EmailVerificationData fills templates/email_verification.html: the outcome of a verification
// link, the address it concerned (when the link was good), and a way on.
type EmailVerificationData struct {
	Base
	Heading    string
	Email      string
	Paragraphs []string
	Problem    bool
	LinkURL    string // empty hides the button
	LinkText   string
}

// SignupData fills templates/signup.html (inputs `email` and `password`).
type SignupData struct {
	Base
	ClientName     string
	Action         string
	State          string
	CSRF           string
	Email          string
	Username       string
	AskUsername    bool // the connection requires a username
	Error          string
	PasswordPolicy string
	PolicyRules    []PolicyRule // the connection's password rules, checked after a refusal
	LoginURL       string
	// PasskeyAction is where the email is posted to sign up with a passkey; empty hides it.
	PasskeyAction string
}

// PolicyRule is one password rule listed under a new-password field: its text, whether it is nested
// under the rule before (a character class), and, once a password was checked, whether it was met.
type PolicyRule struct {
	Text    string
	Nested  bool
	Checked bool
	Met     bool
}

// ErrorData fills templates/error.html.
type ErrorData struct {
	Base
	Heading     string   // e.g. "Callback URL mismatch."
	Code        string   // OAuth error code when there is one, e.g. invalid_request
	Description string   // first paragraph
	Details     []string // further paragraphs
}

// LoggedOutData fills templates/logged_out.html.
type LoggedOutData struct {
	Base
}

// LogoutConfirmData fills templates/logout_confirm.html: a form POSTed to Action with the hidden
// `csrf` field and Fields (the logout request's parameters, carried to the submission).
type LogoutConfirmData struct {
	Base
	Action string
	CSRF   string
	Fields []FormField
	Error  string // shown in the aria-live error region
}

// FormField is one hidden input of a form_post response.
type FormField struct {
	Name  string
	Value string
}

// FormPostData fills templates/form_post.html: an HTML form POSTed to Action (OAuth 2.0 Form Post
// Response Mode §2), submitted by a nonce'd script or by the user when scripts are off.
type FormPostData struct {
	Base
	Action string
	Fields []FormField
	// Get submits the form with GET (a post-login Action's redirect after a form: see
	// authflow's continue.go); Heading replaces "Continuing to the application…".
	Get     bool
	Heading string
}

// ActivateData fills templates/activate.html: the user code entry of the device flow, POSTed to
// Action with the input `user_code`.
type ActivateData struct {
	Base
	Action   string
	UserCode string // prefilled from verification_uri_complete or the previous attempt
	Error    string
}

// DeviceConfirmData fills templates/device_confirm.html: the signed-in user confirms (decision=confirm)
// or refuses (decision=deny) the device named by ClientName and UserCode.
type DeviceConfirmData struct {
	Base
	ClientName string
	UserCode   string
	Scopes     []string
	Action     string
	State      string
	CSRF       string
}

// DeviceDoneData fills templates/device_done.html.
type DeviceDoneData struct {
	Base
	Approved bool
	Heading  string
	Message  string
}

// WebMessageData fills templates/web_message.html: a nonce'd script posts {type: Type, response:
// Response} to window.opener or window.parent with TargetOrigin, which must be an origin the client
// registered (never "*"). html/template writes both as JavaScript literals.
type WebMessageData struct {
	Base
	Type         string
	TargetOrigin string
	Response     map[string]string
}

// MFAForm is what every second-factor form posts: hidden `state` and `csrf` to Action.
type MFAForm struct {
	Base
	Action string
	State  string
	CSRF   string
	Error  string
	// Remember offers "remember this browser for 30 days" (input `remember`).
	Remember bool
}

// MFAEnrollData fills templates/mfa_otp_enroll.html: a new TOTP key as a QR code (a data: URL of a
// PNG rendered by the server), the otpauth:// link and the key to type, and the input `code`.
type MFAEnrollData struct {
	MFAForm
	QRCode template.URL
	URI    template.URL
	Secret string
}

// MFAChallengeData fills templates/mfa_otp_challenge.html (input `code`) and
// templates/mfa_recovery_challenge.html (input `recovery_code`); OtherURL links to the other one.
type MFAChallengeData struct {
	MFAForm
	OtherURL string
}

// MFAEmailChallengeData fills templates/mfa_email_challenge.html: the masked address a code was
// mailed to, the challenge's hidden `oob_code` and the input `code`; ResendURL mails a new code.
type MFAEmailChallengeData struct {
	MFAForm
	Email     string
	OOBCode   string
	ResendURL string
	OtherURL  string
}

// MFARecoveryCodeData fills templates/mfa_recovery_code.html: the recovery code, shown once, and a
// Continue button; Replaced says it replaces the one just used.
type MFARecoveryCodeData struct {
	MFAForm
	Code     string
	Replaced bool
}
