// The login page's branding through Auth0's Node SDK (branding.getSettings / updateSettings): Auth0's
// shape (colors.primary, colors.page_background, logo_url, favicon_url, font.url), a PATCH merged field by
// field with null clearing a field, and Auth0's refusal of a logo that is not https.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management } from './tenant.js';

test('branding is read and changed in Auth0 shape', async () => {
  const { data: patched } = await management.branding.updateSettings({
    colors: { primary: '#0059d6', page_background: '#000000' },
    logo_url: 'https://yourapp.com/logo.png',
    font: { url: 'https://yourapp.com/font.woff2' },
  });
  assert.deepEqual(patched.colors, { primary: '#0059d6', page_background: '#000000' });
  assert.equal(patched.logo_url, 'https://yourapp.com/logo.png');
  assert.deepEqual(patched.font, { url: 'https://yourapp.com/font.woff2' });

  // One field changed, the others kept.
  await management.branding.updateSettings({ colors: { primary: '#112233' } });
  const { data: read } = await management.branding.getSettings();
  assert.deepEqual(read.colors, { primary: '#112233', page_background: '#000000' });
  assert.equal(read.logo_url, 'https://yourapp.com/logo.png');

  // Not part of the tenant settings.
  const { data: settings } = await management.tenants.getSettings();
  assert.equal(settings.branding, undefined);

  // null clears.
  const { data: cleared } = await management.branding.updateSettings({ logo_url: null, font: null });
  assert.equal(cleared.logo_url, undefined);
  assert.equal(cleared.font, undefined);
  assert.equal(cleared.colors.primary, '#112233');
});

test('a logo that is not https is refused, and changes nothing', async () => {
  await assert.rejects(management.branding.updateSettings({ logo_url: 'http://yourapp.com/logo.png' }), (err) => {
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /logo_url/);
    return true;
  });
  const { data } = await management.branding.getSettings();
  assert.equal(data.logo_url, undefined);
});
