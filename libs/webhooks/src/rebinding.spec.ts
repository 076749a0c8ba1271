import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedLookup } from './address-guard';
import { deliverWebhook, webhookDispatcher } from './delivery';

const secret = 'whsec_' + Buffer.alloc(32, 12).toString('base64');

/** A name that answers a public address to the first lookup and loopback to every later one, as
 * an attacker's DNS server with a zero TTL does. */
function rebindingResolver() {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    return asked.length === 1 ? ['93.184.216.34'] : ['127.0.0.1'];
  };
  return { resolve, asked };
}

test('DNS rebinding: the address is checked again as the connection is made, and nothing reaches loopback', async () => {
  let hits = 0;
  const server = createServer((_req, res) => void (hits++, res.end('ok')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const { resolve, asked } = rebindingResolver();
    const policy = { allowPrivate: false, resolve };
    const dispatcher = webhookDispatcher(policy);
    const attempt = await deliverWebhook({
      url: `http://rebind.example.test:${port}/hook`,
      body: '{"type":"x"}',
      id: 'msg_1',
      secrets: secret,
      addressPolicy: policy,
      dispatcher,
    });
    await dispatcher.close();
    assert.equal(hits, 0, 'the request reached a loopback server');
    assert.equal(asked.length, 2, 'resolved once to check, once to connect');
    assert.equal(attempt.outcome, 'refused');
    assert.match(attempt.error ?? '', /rebind\.example\.test resolved to 127\.0\.0\.1 as it was connected to, a loopback address/);
  } finally {
    server.close();
  }
});

test('the connect-time lookup hands over every checked address, or those of the family asked for', async () => {
  const lookup = guardedLookup({ allowPrivate: false, resolve: async () => ['93.184.216.34', '2606:2800:220:1::1'] });
  const all = await new Promise((r, j) => lookup('ok.example.test', { all: true }, (e, a) => (e ? j(e) : r(a))));
  assert.deepEqual(all, [
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1::1', family: 6 },
  ]);
  const six = await new Promise((r, j) => lookup('ok.example.test', { family: 6 }, (e, a, f) => (e ? j(e) : r([a, f]))));
  assert.deepEqual(six, ['2606:2800:220:1::1', 6]);
});
