import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointKey, resolveEndpoints as resolve, type EndpointRouting, type WebhookSubject } from './endpoints';

const resolveEndpoints = (subject: WebhookSubject, r: EndpointRouting) => resolve(subject, r).urls;

const routing: EndpointRouting = {
  defaultUrl: 'https://ops.example.org/all',
  endpoints: [
    { url: 'https://a.example.org/results', bucket: 'hospital-a', events: ['study.completed', 'study.failed'] },
    { url: 'https://a.example.org/ward3', bucket: 'hospital-a', prefix: 'incoming/ward3-', events: ['study.completed'] },
    { url: 'https://b.example.org/hook', bucket: 'hospital-b' },
    { url: 'https://models.example.org/', events: ['model.rolled_out'] },
  ],
};
const study = (bucket: string, keys: string[], callbackUrl?: string) => ({ bucket, keys, callbackUrl });

test('a study goes to every endpoint whose bucket, prefix and event filter take it', () => {
  const ward3 = study('hospital-a', ['incoming/ward3-17/a.jpeg', 'incoming/ward3-17/b.jpeg']);
  assert.deepEqual(resolveEndpoints({ type: 'study.completed', study: ward3 }, routing), [
    'https://a.example.org/results',
    'https://a.example.org/ward3',
  ]);
  assert.deepEqual(resolveEndpoints({ type: 'study.failed', study: ward3 }, routing), ['https://a.example.org/results']);
  assert.deepEqual(resolveEndpoints({ type: 'study.failed', study: study('hospital-b', ['x.jpeg']) }, routing), [
    'https://b.example.org/hook',
  ]);
});

test('a prefix must hold every key of the study', () => {
  const mixed = study('hospital-a', ['incoming/ward3-17/a.jpeg', 'scans/other.jpeg']);
  assert.deepEqual(resolveEndpoints({ type: 'study.completed', study: mixed }, routing), ['https://a.example.org/results']);
});

test('the default URL serves studies no endpoint covers, and only those', () => {
  assert.deepEqual(resolveEndpoints({ type: 'study.completed', study: study('hospital-c', ['k']) }, routing), [
    'https://ops.example.org/all',
  ]);
  // hospital-a's endpoints cover the study but do not want this type: it goes nowhere.
  const only = { ...routing, endpoints: routing.endpoints.slice(1, 2) };
  assert.deepEqual(resolveEndpoints({ type: 'study.failed', study: study('hospital-a', ['incoming/ward3-1/a']) }, only), []);
  assert.deepEqual(resolveEndpoints({ type: 'study.completed', study: study('hospital-c', ['k']) }, { endpoints: [] }), []);
});

test('a study callback URL never replaces the configured endpoints, and reaches only allowed hosts', () => {
  const allowed = { ...routing, callbackAllowed: (u: string) => new URL(u).hostname === 'ris.hospital-a.org' };
  const own = study('hospital-a', ['incoming/ward3-9/a.jpeg'], 'https://ris.hospital-a.org/cb');
  assert.deepEqual(resolve({ type: 'study.completed', study: own }, allowed), {
    urls: ['https://a.example.org/results', 'https://a.example.org/ward3', 'https://ris.hospital-a.org/cb'],
  });
  const hijack = study('hospital-a', ['incoming/ward3-9/a.jpeg'], 'https://attacker.example.net/steal');
  assert.deepEqual(resolve({ type: 'study.completed', study: hijack }, allowed), {
    urls: ['https://a.example.org/results', 'https://a.example.org/ward3'],
    callbackRefused: "callbackUrl not used: its host attacker.example.net is not on the tenant's callback hosts",
  });
  // No list at all: no callback reaches anyone.
  assert.deepEqual(resolve({ type: 'study.failed', study: own }, routing).urls, ['https://a.example.org/results']);
});

test('events about no study go to endpoints whose event filter takes them', () => {
  assert.deepEqual(resolveEndpoints({ type: 'model.rolled_out' }, routing), ['https://b.example.org/hook', 'https://models.example.org/']);
  assert.deepEqual(resolveEndpoints({ type: 'model.rolled_out' }, { endpoints: [], defaultUrl: 'https://ops.example.org/all' }), [
    'https://ops.example.org/all',
  ]);
});

test('spellings of one URL are one endpoint', () => {
  const twice: EndpointRouting = { endpoints: [{ url: 'HTTPS://A.example.org:443/x' }, { url: 'https://a.example.org/x' }] };
  assert.deepEqual(resolveEndpoints({ type: 'study.completed', study: study('b', ['k']) }, twice), ['https://a.example.org/x']);
  assert.equal(endpointKey('https://A.example.org:443/x'), 'https://a.example.org/x');
});
