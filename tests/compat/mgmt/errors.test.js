// Error cases as the auth0 SDK surfaces them: a ManagementError (v7: BadRequestError, NotFoundError...)
// carrying the HTTP status and Auth0's body with statusCode, error, errorCode and message (spec §4.2).
// Independent of guide-config.test.js; uses only what `gatehouse dev` seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { management, tenant, expectApiError } from './tenant.js';

test('a wildcard callback is refused with 400 invalid_body naming the field', async () => {
  await assert.rejects(
    management.clients.create({
      name: 'Wildcard App',
      app_type: 'regular_web',
      callbacks: ['https://*.yourapp.com/api/auth/callback'],
    }),
    expectApiError(400, 'invalid_body', /callbacks/),
  );
});

test('a wildcard logout URL is refused with 400 invalid_body naming the field', async () => {
  await assert.rejects(
    management.clients.create({
      name: 'Wildcard Logout App',
      app_type: 'regular_web',
      allowed_logout_urls: ['https://*.yourapp.com'],
    }),
    expectApiError(400, 'invalid_body', /allowed_logout_urls/),
  );
});

test('creating an existing user answers 409', async () => {
  const seeded = tenant.users[0];
  await assert.rejects(
    management.users.create({
      connection: 'Username-Password-Authentication',
      email: seeded.email,
      password: 'Another-Passw0rd-123!',
    }),
    expectApiError(409, undefined, /already exists/i),
  );
});

test('an unknown user answers 404 inexistent_user', async () => {
  await assert.rejects(
    management.users.get('auth0|000000000000000000000000'),
    expectApiError(404, 'inexistent_user', /user does not exist/i),
  );
});

test('an unknown client answers 404 inexistent_client', async () => {
  await assert.rejects(
    management.clients.get('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    expectApiError(404, 'inexistent_client'),
  );
});

test('a user without a connection is refused with 400', async () => {
  await assert.rejects(
    management.users.create({ email: 'no-connection@example.org', password: 'Another-Passw0rd-123!' }),
    expectApiError(400, undefined, /connection/),
  );
});
