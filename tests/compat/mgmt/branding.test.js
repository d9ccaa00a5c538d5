// The login page's branding through Auth0's Node SDK (branding.get / branding.update): Auth0's
// shape (colors.primary, colors.page_background, logo_url, favicon_url, font.url), a PATCH merged field by
// field with null clearing a field, and Auth0's refusal of a logo that is not https.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, expectApiError } from './tenant.js';

test('branding is read and changed in Auth0 shape', async () => {
  const patched = await management.branding.update({
    colors: { primary: '#0059d6', page_background: '#000000' },
    logo_url: 'https://yourapp.com/logo.png',
    font: { url: 'https://yourapp.com/font.woff2' },
  });
  assert.deepEqual(patched.colors, { primary: '#0059d6', page_background: '#000000' });
  assert.equal(patched.logo_url, 'https://yourapp.com/logo.png');
  assert.deepEqual(patched.font, { url: 'https://yourapp.com/font.woff2' });

  // One field changed, the others kept.
  await management.branding.update({ colors: { primary: '#112233' } });
  const read = await management.branding.get();
  assert.deepEqual(read.colors, { primary: '#112233', page_background: '#000000' });
  assert.equal(read.logo_url, 'https://yourapp.com/logo.png');

  // Not part of the tenant settings.
  const settings = await management.tenants.settings.get();
  assert.equal(settings.branding, undefined);
  // fields and include_fields, as the SDK sends them.
  const picked = await management.tenants.settings.get({ fields: 'friendly_name,default_directory', include_fields: true });
  assert.deepEqual(picked, { friendly_name: settings.friendly_name, default_directory: settings.default_directory });

  // null clears.
  const cleared = await management.branding.update({ logo_url: null, font: null });
  assert.equal(cleared.logo_url, undefined);
  assert.equal(cleared.font, undefined);
  assert.equal(cleared.colors.primary, '#112233');
});

test('a logo that is not https is refused, and changes nothing', async () => {
  await assert.rejects(management.branding.update({ logo_url: 'http://yourapp.com/logo.png' }), expectApiError(400, undefined, /logo_url/));
  const data = await management.branding.get();
  assert.equal(data.logo_url, undefined);
});
