// Attack protection, anomaly blocks and log streams driven by the auth0 SDK's ManagementClient,
// unchanged. The log stream delivers to a receiver this test starts on loopback, which a
// `gatehouse dev` node may reach (a production node refuses private addresses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { management, withStatus, expectApiError } from './tenant.js';

test('brute-force protection: Auth0 defaults, then a PATCH read back', async () => {
  const before = await management.attackProtection.bruteForceProtection.get();
  assert.equal(before.enabled, true);
  assert.equal(before.max_attempts, 10);
  assert.equal(before.mode, 'count_per_identifier_and_ip');
  assert.deepEqual(before.allowlist, []);

  const after = await management.attackProtection.bruteForceProtection.update({
    max_attempts: 12,
    allowlist: ['198.51.100.0/24'],
  });
  assert.equal(after.max_attempts, 12);
  assert.deepEqual(after.allowlist, ['198.51.100.0/24']);
  const read = await management.attackProtection.bruteForceProtection.get();
  assert.equal(read.max_attempts, 12);
  assert.equal(read.enabled, true, 'a PATCH changes only what it names');
  // Put the default back for the other suites.
  await management.attackProtection.bruteForceProtection.update({ max_attempts: 10, allowlist: [] });
});

test('suspicious IP throttling: stages patched field by field', async () => {
  const before = await management.attackProtection.suspiciousIpThrottling.get();
  assert.equal(before.enabled, true);
  assert.deepEqual(before.stage['pre-login'], { max_attempts: 100, rate: 864000 });
  assert.deepEqual(before.stage['pre-user-registration'], { max_attempts: 50, rate: 1200 });

  const after = await management.attackProtection.suspiciousIpThrottling.update({
    allowlist: ['10.0.0.0/8'],
    stage: { 'pre-login': { max_attempts: 200 } },
  });
  assert.deepEqual(after.stage['pre-login'], { max_attempts: 200, rate: 864000 });
  assert.deepEqual(after.stage['pre-user-registration'], { max_attempts: 50, rate: 1200 });
  assert.deepEqual(after.allowlist, ['10.0.0.0/8']);
  await management.attackProtection.suspiciousIpThrottling.update({
    allowlist: [],
    stage: { 'pre-login': { max_attempts: 100 } },
  });
});

test('breached password detection: off by default, turned on, an unknown method refused', async () => {
  const before = await management.attackProtection.breachedPasswordDetection.get();
  assert.equal(before.enabled, false);
  assert.equal(before.method, 'standard');

  const after = await management.attackProtection.breachedPasswordDetection.update({
    enabled: true,
    shields: ['block'],
    stage: { 'pre-user-registration': { shields: ['block'] } },
  });
  assert.equal(after.enabled, true);
  assert.deepEqual(after.shields, ['block']);
  assert.deepEqual(after.stage['pre-user-registration'].shields, ['block']);

  await assert.rejects(
    management.attackProtection.breachedPasswordDetection.update({ method: 'enhanced' }),
    expectApiError(400, 'invalid_body'),
  );
  await management.attackProtection.breachedPasswordDetection.update({ enabled: false, shields: [] });
});

test('anomaly: an address not throttled is 404, unblocking is 204', async () => {
  await assert.rejects(
    management.anomaly.blocks.checkIp('203.0.113.77'),
    expectApiError(404),
  );
  const [, status] = await withStatus(management.anomaly.blocks.unblockIp('203.0.113.77'));
  assert.equal(status, 204);
});

test('log streams: create, list, get, deliver, pause, delete', async () => {
  const received = [];
  let authorization = '';
  const server = createServer((req, res) => {
    authorization = req.headers.authorization;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      for (const item of JSON.parse(body)) received.push(item);
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${server.address().port}/auth0-logs`;
    const created = await management.logStreams.create({
      name: 'Compat SIEM',
      type: 'http',
      filters: [{ type: 'category', name: 'management.success' }],
      sink: {
        httpEndpoint: endpoint,
        httpContentType: 'application/json',
        httpContentFormat: 'JSONARRAY',
        httpAuthorization: 'Bearer compat-secret',
        httpCustomHeaders: [{ header: 'X-Source', value: 'gatehouse' }],
      },
    });
    assert.match(created.id, /^lst_/);
    assert.equal(created.status, 'active');
    assert.equal(created.sink.httpEndpoint, endpoint);
    assert.equal(created.sink.httpAuthorization, undefined, 'the Authorization header is write-only');

    const list = await management.logStreams.list();
    assert.ok(list.some((s) => s.id === created.id));
    const one = await management.logStreams.get(created.id);
    assert.equal(one.name, 'Compat SIEM');
    assert.deepEqual(one.filters, [{ type: 'category', name: 'management.success' }]);

    // A Management API write is a sapi event, which the stream's filter lets through.
    await management.attackProtection.bruteForceProtection.update({ max_attempts: 10 });
    const deadline = Date.now() + 15000;
    while (!received.some((i) => i.data?.type === 'sapi') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(received.some((i) => i.data?.type === 'sapi'), `received ${JSON.stringify(received)}`);
    assert.ok(received.every((i) => i.data.type === 'sapi' && i.log_id === i.data.log_id));
    assert.equal(authorization, 'Bearer compat-secret');

    const paused = await management.logStreams.update(created.id, { status: 'paused' });
    assert.equal(paused.status, 'paused');
    const [, deleted] = await withStatus(management.logStreams.delete(created.id));
    assert.equal(deleted, 204);
    await assert.rejects(management.logStreams.get(created.id), expectApiError(404));
  } finally {
    server.close();
  }
});

test('log streams: a bad content format is refused', async () => {
  await assert.rejects(
    management.logStreams.create({
      name: 'Bad',
      type: 'http',
      sink: { httpEndpoint: 'https://siem.example.com/in', httpContentFormat: 'XML' },
    }),
    expectApiError(400, undefined, /httpContentFormat/),
  );
});
