package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The Send Phone Message flow in the dashboard: an action for it, created and bound through the
// Management API, is shown in the flow; its editor's Test panel runs it with the sample
// send-phone-message event and shows the console line, the secret masked. Screenshots of both.
func TestDashboardSendPhoneMessageFlow(t *testing.T) {
	ctx := context.Background()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	b.step("desktop width", chromedp.EmulateViewport(1280, 900))

	tok := mgmtToken(t, g)
	id := deployBound(t, g, tok, "send-phone-message", map[string]any{"name": "Custom SMS provider",
		"supported_triggers": []map[string]string{{"id": "send-phone-message", "version": "v2"}},
		"secrets":            []map[string]string{{"name": "SMS_TOKEN", "value": "provider-token-value"}},
		"code": `exports.onExecuteSendPhoneMessage = async (event, api) => {
  const m = event.message_options;
  console.log('Sending "' + m.text + '" to ' + m.recipient + ' by ' + m.message_type + ' with token ' + event.secrets.SMS_TOKEN);
};`})

	b.navigate(g.Issuer + "admin/flows/send-phone-message")
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, g.Tenant.Dashboard.Email, g.Tenant.Dashboard.Password)
	if h := b.text("h1"); h != "Flows › Send Phone Message" {
		t.Fatalf("flow page heading %q at %s", h, b.location())
	}
	if body := b.text("main"); !strings.Contains(body, "Custom SMS provider") {
		t.Errorf("flow page: %q", body)
	}
	b.screenshot(shots, "dashboard-flow-send-phone-message")

	b.navigate(g.Issuer + "admin/actions/" + id)
	b.step("run the test", chromedp.WaitVisible(chromedp.CSS(`#test-payload`)),
		chromedp.Click(chromedp.CSS(`#test button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`#test-result`)))
	out := b.text("#test-result")
	if !strings.Contains(out, `Sending "Your verification code is 123456" to +15551234567 by sms with token [redacted]`) {
		t.Fatalf("test result: %q", out)
	}
	b.step("scroll to the result", chromedp.ScrollIntoView(chromedp.CSS(`#test-result`)))
	b.screenshot(shots, "dashboard-action-test-send-phone-message")
}
