import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config';
import { callbackHostAllowed, studyIdIn, tenantFor, tenantOwns, watchedLocations } from './tenant-lookup';
import { sha256Hex } from './tenants';

const SECRET_A = 'whsec_c2VjcmV0LWE=';
const SECRET_B = 'whsec_c2VjcmV0LWI=';
const hospitalA = {
  id: 'hospital-a',
  locations: [{ bucket: 'shared-xray', prefix: 'incoming/a-' }, { bucket: 'hospital-a' }],
  endpoints: [{ url: 'https://hooks.hospital-a.org/pneumo', secrets: [SECRET_A, SECRET_B] }],
  callbackHosts: ['ris.hospital-a.org', '*.pacs.hospital-a.org'],
  callbackSecrets: [SECRET_A],
  apiKeys: [{ id: 'ris', sha256: sha256Hex('key-of-hospital-a-0001'), scopes: ['submit', 'status'] }],
};
const hospitalB = {
  id: 'hospital-b',
  locations: [{ bucket: 'shared-xray', prefix: 'incoming/b-' }],
  endpoints: [{ url: 'https://hooks.hospital-b.org/pneumo', secrets: [SECRET_B] }],
  apiKeys: [{ id: 'ris', sha256: sha256Hex('key-of-hospital-b-0001'), scopes: ['feedback'] }],
};
const load = (tenants: unknown, extra: Record<string, string> = {}) => loadConfig({ TENANTS: JSON.stringify(tenants), ...extra });

describe('tenants', () => {
  test('TENANTS: each tenant with its locations, endpoints and secrets, callback hosts and hashed keys', () => {
    const [a, b] = load([hospitalA, hospitalB]).tenants;
    assert.equal(a.id, 'hospital-a');
    assert.deepEqual(a.locations, [
      { bucket: 'shared-xray', prefix: 'incoming/a-' },
      { bucket: 'hospital-a', prefix: '' },
    ]);
    assert.deepEqual(a.endpoints[0].secrets, [SECRET_A, SECRET_B]);
    assert.deepEqual(b.apiKeys[0].scopes, ['feedback']);
    assert.deepEqual(b.callbackHosts, []);
  });

  test("ingest watches the incoming prefix of every tenant location's bucket, narrowed to the location's prefix", () => {
    const [a, b] = load([hospitalA, hospitalB]).tenants;
    assert.deepEqual(watchedLocations([a!, b!], 'pneumoscreen', 'incoming/'), [
      { bucket: 'shared-xray', prefix: 'incoming/a-' },
      { bucket: 'hospital-a', prefix: 'incoming/' },
      { bucket: 'shared-xray', prefix: 'incoming/b-' },
    ]);
    assert.deepEqual(watchedLocations(loadConfig({}).tenants, 'pneumoscreen', 'incoming/'), [
      { bucket: 'pneumoscreen', prefix: 'incoming/' },
    ]);
  });

  test("a tenant's study ids are its own: `<tenant>.<name>`, kept once scoped; the default tenant's are bare", () => {
    const [a, b] = load([hospitalA, hospitalB]).tenants;
    assert.equal(studyIdIn(a!, 'x-1'), 'hospital-a.x-1');
    assert.equal(studyIdIn(a!, 'hospital-a.x-1'), 'hospital-a.x-1');
    assert.equal(studyIdIn(b!, 'hospital-a.x-1'), 'hospital-b.hospital-a.x-1');
    assert.equal(studyIdIn(loadConfig({}).tenants[0]!, 'x-1'), 'x-1');
  });

  test('the resolver names the tenant of an object by bucket and prefix, and no tenant outside them', () => {
    const { tenants } = load([hospitalA, hospitalB]);
    assert.equal(tenantFor(tenants, 'shared-xray', 'incoming/a-17/x.dcm')?.tenant.id, 'hospital-a');
    assert.equal(tenantFor(tenants, 'shared-xray', 'incoming/b-17/x.dcm')?.tenant.id, 'hospital-b');
    assert.deepEqual(tenantFor(tenants, 'hospital-a', 'anything/x.png')?.location, { bucket: 'hospital-a', prefix: '' });
    assert.equal(tenantFor(tenants, 'shared-xray', 'incoming/c-1/x.png'), undefined);
    assert.equal(tenantFor(tenants, 'hospital-b', 'incoming/b-1/x.png'), undefined);
    assert.equal(tenantOwns(tenants[1], 'shared-xray', ['incoming/b-1/x', 'incoming/a-1/y']), false);
  });

  test('without TENANTS, one default tenant owns every bucket with the single-tenant settings', () => {
    const c = loadConfig({
      WEBHOOK_SECRET: SECRET_A,
      WEBHOOK_URL: 'https://hooks.example.org/all',
      WEBHOOK_ENDPOINTS: JSON.stringify([{ url: 'https://hooks.example.org/a', bucket: 'a-bucket' }]),
      INGEST_API_KEY: 'an-ingest-api-key-0001',
      CALLBACK_HOSTS: 'Callbacks.Example.org',
    });
    assert.equal(c.tenants.length, 1);
    const [t] = c.tenants;
    assert.equal(t.id, 'default');
    assert.equal(tenantFor(c.tenants, 'any-bucket', 'incoming/x/y.png')?.tenant, t);
    assert.deepEqual(t.endpoints, [{ url: 'https://hooks.example.org/a', bucket: 'a-bucket', secrets: [SECRET_A] }]);
    assert.deepEqual(t.fallback, { url: 'https://hooks.example.org/all', secrets: [SECRET_A] });
    assert.deepEqual(t.apiKeys, [
      { id: 'INGEST_API_KEY', sha256: sha256Hex('an-ingest-api-key-0001'), scopes: ['submit', 'status', 'feedback'] },
    ]);
    assert.equal(callbackHostAllowed(t, 'https://callbacks.example.org/x'), true);
    assert.deepEqual(loadConfig({}).tenants[0].apiKeys, []);
  });

  test('callback hosts: exact names and *.domain for subdomains, nothing else', () => {
    const [a] = load([hospitalA]).tenants;
    assert.equal(callbackHostAllowed(a, 'https://ris.hospital-a.org/results'), true);
    assert.equal(callbackHostAllowed(a, 'https://x.pacs.hospital-a.org/r'), true);
    assert.equal(callbackHostAllowed(a, 'https://pacs.hospital-a.org/r'), false);
    assert.equal(callbackHostAllowed(a, 'https://ris.hospital-a.org.evil.example/r'), false);
    assert.equal(callbackHostAllowed(a, 'https://evilpacs.hospital-a.org/r'), false);
    assert.equal(callbackHostAllowed(a, 'not a url'), false);
  });

  test('mistakes fail start-up naming TENANTS and the place, never echoing a secret', () => {
    const bad = (tenants: unknown, pattern: RegExp) =>
      assert.throws(
        () => load(tenants),
        (e: Error) => e instanceof ConfigError && /TENANTS/.test(e.message) && pattern.test(e.message) && !e.message.includes('c2VjcmV0'),
      );
    bad([hospitalA, { ...hospitalB, id: 'hospital-a' }], /used twice/);
    bad([hospitalA, { ...hospitalB, locations: [{ bucket: 'shared-xray', prefix: 'incoming/' }] }], /overlap in bucket shared-xray/);
    bad([{ ...hospitalA, callbackSecrets: [] }], /callbackSecrets.*required/);
    bad([{ ...hospitalA, endpoints: [{ url: 'https://h.example.org', secrets: ['c2VjcmV0LWE='] }] }], /endpoints\.0\.secrets\.0.*whsec_/);
    bad([{ ...hospitalA, endpoints: [{ url: 'https://h.example.org' }] }], /endpoints\.0\.secrets/);
    bad([{ ...hospitalA, apiKeys: [{ id: 'k', sha256: 'abc', scopes: ['submit'] }] }], /apiKeys\.0\.sha256/);
    bad([{ ...hospitalA, apiKeys: [{ id: 'k', sha256: sha256Hex('x'), scopes: ['admin'] }] }], /apiKeys\.0\.scopes/);
    bad([hospitalA, { ...hospitalB, apiKeys: hospitalA.apiKeys }], /also listed for tenant "hospital-a"/);
    bad([{ ...hospitalA, endpoint: [] }], /endpoint/);
    bad([], /TENANTS/);
  });

  test('TENANTS with a single-tenant setting fails naming that setting', () => {
    assert.throws(() => load([hospitalA], { INGEST_API_KEY: 'an-ingest-api-key-0001' }), /INGEST_API_KEY: cannot be combined with TENANTS/);
    assert.throws(() => load([hospitalA], { WEBHOOK_SECRET: SECRET_A }), /WEBHOOK_SECRET: cannot be combined with TENANTS/);
  });
});
