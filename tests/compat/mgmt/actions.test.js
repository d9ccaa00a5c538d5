// Actions through Auth0's Node SDK (actions.create / test / deploy, actions.triggers.list and
// bindings.updateMany): the send-phone-message trigger listed and bound; a test run of a post-login
// action that redirects completes and shows the redirect's URL and query; a send-phone-message test
// run gets Auth0's event, its secret masked in the console lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management } from './tenant.js';

const suffix = Date.now().toString(36);

test('actions.test shows a post-login redirect instead of failing', async () => {
  const action = await management.actions.create({
    name: `Consent redirect ${suffix}`,
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: `exports.onExecutePostLogin = async (event, api) => {
  const token = api.redirect.encodeToken({ secret: 'a-secret-long-enough-to-sign', payload: { email: event.user.email } });
  api.redirect.sendUserTo('https://consent.example.com/terms', { query: { session_token: token, lang: 'de' } });
};
exports.onContinuePostLogin = async (event, api) => {};`,
  });
  const out = await management.actions.test(action.id, { payload: { user: { email: 'ada@example.com' } } });
  assert.equal(out.payload.error, null, JSON.stringify(out.payload));
  const redirect = out.payload.result.redirect;
  assert.equal(redirect.url, 'https://consent.example.com/terms');
  assert.equal(redirect.query.lang, 'de');
  assert.equal(redirect.query.session_token.split('.').length, 3);
  await management.actions.delete(action.id);
});

test('send-phone-message: listed, bound, tested with Auth0\'s event', async () => {
  const { triggers } = await management.actions.triggers.list();
  const phone = triggers.find((t) => t.id === 'send-phone-message');
  assert.ok(phone, JSON.stringify(triggers));
  assert.equal(phone.version, 'v2');

  const action = await management.actions.create({
    name: `SMS provider ${suffix}`,
    supported_triggers: [{ id: 'send-phone-message', version: 'v2' }],
    secrets: [{ name: 'SMS_TOKEN', value: 'provider-token-value' }],
    code: `exports.onExecuteSendPhoneMessage = async (event, api) => {
  const m = event.message_options;
  console.log(m.recipient + ' ' + m.message_type + ' ' + m.action + ' ' + m.code + ' ' + event.user.user_id + ' ' + event.secrets.SMS_TOKEN);
};`,
  });
  const out = await management.actions.test(action.id, { payload: {
    message_options: { action: 'second-factor-authentication', code: '246810', message_type: 'sms', recipient: '+15557654321', text: 'Your code is 246810' },
    user: { user_id: 'auth0|42' },
  } });
  assert.equal(out.payload.error, null, JSON.stringify(out.payload));
  const lines = JSON.stringify(out.payload.logs);
  assert.match(lines, /\+15557654321 sms second-factor-authentication 246810 auth0\|42 \[redacted\]/);
  assert.doesNotMatch(lines, /provider-token-value/);

  await management.actions.deploy(action.id);
  await management.actions.triggers.bindings.updateMany('send-phone-message', {
    bindings: [{ ref: { type: 'action_id', value: action.id }, display_name: 'SMS provider' }],
  });
  const page = await management.actions.triggers.bindings.list('send-phone-message');
  assert.deepEqual(page.data.map((b) => b.action.id), [action.id]);
  await management.actions.triggers.bindings.updateMany('send-phone-message', { bindings: [] });
  await management.actions.delete(action.id);
});
