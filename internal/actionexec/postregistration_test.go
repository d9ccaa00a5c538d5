package actionexec_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// TestPostUserRegistrationRetries: the trigger runs in the background after the call returns; a
// failed run is logged and tried again, and the retry's output reaches the tenant log.
func TestPostUserRegistrationRetries(t *testing.T) {
	e := MustEnv(t, envOptions{})
	code := `exports.onExecutePostUserRegistration = async (event, api) => {
  const key = 'seen-' + event.user.user_id;
  if (!api.cache.get(key)) {
    api.cache.set(key, '1');
    throw new Error('first attempt fails');
  }
  console.log('welcomed ' + event.user.email + ' on a retry');
};`
	MustBind(t, e.st, domain.TriggerPostUserRegistration, MustDeploy(t, e.st, "Welcome", domain.TriggerPostUserRegistration, code))
	e.ex.PostUserRegistration(ctx, trigger.PostUserRegistration{User: e.member, Client: e.client, Connection: domain.DefaultConnection})
	e.ex.WaitBackground()
	all := jsonOf(t, e.actionLogs(t))
	if !strings.Contains(all, "first attempt fails") || !strings.Contains(all, "welcomed member@example.test on a retry") {
		t.Fatalf("tenant log: %s", all)
	}
}
