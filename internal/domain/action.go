package domain

import (
	"slices"
	"strings"
	"time"
)

// Action triggers Gatehouse runs.
const (
	TriggerPostLogin            = "post-login"
	TriggerCredentialsExchange  = "credentials-exchange"
	TriggerPreUserRegistration  = "pre-user-registration"
	TriggerPostUserRegistration = "post-user-registration"
)

// ActionTriggers are the triggers an action may support, in the order Auth0 lists them.
var ActionTriggers = []string{TriggerPostLogin, TriggerCredentialsExchange, TriggerPreUserRegistration,
	TriggerPostUserRegistration, TriggerPostChangePassword, TriggerPasswordResetPostChallenge, TriggerSendPhoneMessage}

// Action status values (spec §4.4).
const (
	ActionPending = "pending"
	ActionBuilt   = "built"
	ActionFailed  = "failed"
)

// ActionTrigger names a trigger an action supports.
type ActionTrigger struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// ActionSecret is a named value an action reads as event.secrets.NAME. Values are write-only through
// the Management API.
type ActionSecret struct {
	Name      string    `json:"name"`
	Value     string    `json:"value,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ActionDependency is an npm dependency. Gatehouse installs no packages: it accepts only the names of
// the modules it builds in (ActionModules), whatever the version, and refuses any other.
type ActionDependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Action is an editable action: its draft code and settings. Deploying it creates an ActionVersion.
type Action struct {
	ID                string             `json:"id"`
	Name              string             `json:"name"`
	SupportedTriggers []ActionTrigger    `json:"supported_triggers"`
	Code              string             `json:"code"`
	Dependencies      []ActionDependency `json:"dependencies"`
	Runtime           string             `json:"runtime"`
	Secrets           []ActionSecret     `json:"secrets"`
	Status            string             `json:"status"`
	// DeployedVersionID is the version bound triggers run; empty until the first deploy.
	DeployedVersionID string    `json:"-"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// ActionVersion is an immutable deployed snapshot of an action.
type ActionVersion struct {
	ID        string          `json:"id"`
	ActionID  string          `json:"action_id"`
	Number    int             `json:"number"`
	Code      string          `json:"code"`
	Secrets   []ActionSecret  `json:"-"`
	Runtime   string          `json:"runtime"`
	Triggers  []ActionTrigger `json:"supported_triggers"`
	Deployed  bool            `json:"deployed"`
	Status    string          `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
}

// TriggerBinding places a deployed action in a trigger's chain, in order.
type TriggerBinding struct {
	ID          string    `json:"id"`
	TriggerID   string    `json:"trigger_id"`
	ActionID    string    `json:"-"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ActionModules are the modules an Action may require and name as dependencies: built into the
// sandbox (package actions keeps the same list, and a test holds them equal).
var ActionModules = []string{"axios", "crypto", "jsonwebtoken", "node:crypto", "node:querystring", "node:url", "querystring", "url"}

// ActionRuntimes are the Node runtime labels an Action may carry; every Action runs in the same
// sandbox whatever its label.
var ActionRuntimes = []string{"node18", "node18-actions", "node22"}

// MaxActionCodeBytes is Auth0's limit on action source.
const MaxActionCodeBytes = 100 * 1024

// Validate checks an action's fields (compiling the code is the runtime's job, at deploy).
func (a *Action) Validate() error {
	var errs Errors
	if strings.TrimSpace(a.Name) == "" {
		errs.add(Invalidf("name", "is required"))
	}
	if len(a.SupportedTriggers) == 0 {
		errs.add(Invalidf("supported_triggers", "at least one trigger is required"))
	}
	for i, t := range a.SupportedTriggers {
		if !slices.Contains(ActionTriggers, t.ID) {
			errs.add(Invalidf("supported_triggers["+itoa(i)+"].id", "%q is not a supported trigger (%s)", t.ID, strings.Join(ActionTriggers, ", ")))
		}
	}
	if len(a.Code) > MaxActionCodeBytes {
		errs.add(Invalidf("code", "must be at most 100 kB"))
	}
	for i, d := range a.Dependencies {
		if !slices.Contains(ActionModules, d.Name) {
			errs.add(Invalidf("dependencies["+itoa(i)+"].name", "%q is not available: npm packages are not installed; Actions may require only %s",
				d.Name, strings.Join(ActionModules, ", ")))
		}
	}
	if a.Runtime != "" && !slices.Contains(ActionRuntimes, a.Runtime) {
		errs.add(Invalidf("runtime", "%q is not a supported runtime (%s)", a.Runtime, strings.Join(ActionRuntimes, ", ")))
	}
	for i, s := range a.Secrets {
		if s.Name == "" || len(s.Name) > 128 {
			errs.add(Invalidf("secrets["+itoa(i)+"].name", "must be 1 to 128 characters"))
		}
		if len(s.Value) > 4096 {
			errs.add(Invalidf("secrets["+itoa(i)+"].value", "must be at most 4096 characters"))
		}
	}
	return errs.Err()
}
