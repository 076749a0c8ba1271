import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsafeWebhookUrlError, assertDeliverableUrl, nonPublicAddressClass } from './address-guard';

const strict = { allowPrivate: false };
const refused = (pattern: RegExp) => (err: unknown) => err instanceof UnsafeWebhookUrlError && pattern.test(err.message);

test('classifies addresses, IPv4-mapped IPv6 included', () => {
  const cases: Array<[string, string | null]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'multicast or reserved'],
    ['8.8.8.8', null],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', null],
    ['2606:4700:4700::1111', null],
  ];
  for (const [address, expected] of cases) assert.equal(nonPublicAddressClass(address), expected, address);
});

test('refuses literal non-public hosts in every spelling the URL parser accepts', async () => {
  const urls: Array<[string, RegExp]> = [
    ['http://127.0.0.1/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://2130706433/hook', /loopback/],
    ['http://0x7f.1/hook', /loopback/],
    ['https://10.0.0.8:8443/hook', /private/],
    ['http://169.254.169.254/latest/meta-data', /link-local/],
    ['http://0.0.0.0:3000/', /unspecified/],
    ['http://[::1]/hook', /::1 is a loopback/],
    ['http://[::]/', /unspecified/],
    ['http://[fd00::5]/', /private/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:192.168.0.1]/', /private/],
  ];
  for (const [url, pattern] of urls) await assert.rejects(assertDeliverableUrl(url, strict), refused(pattern), url);
});

test('refuses localhost through the system resolver', async () => {
  await assert.rejects(
    assertDeliverableUrl('http://localhost:8080/hook', strict),
    refused(/localhost \(resolves to .+\) is a loopback address/),
  );
});

test('allowPrivate lets loopback and private hosts through', async () => {
  for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.0.0.1/x']) {
    assert.equal((await assertDeliverableUrl(url, { allowPrivate: true })).href, url);
  }
});

test('public literal addresses pass', async () => {
  for (const url of ['https://8.8.8.8/hook', 'http://[2606:4700:4700::1111]/hook', 'https://172.32.0.1/']) {
    await assertDeliverableUrl(url, strict);
  }
});

test('only http and https, and only valid URLs', async () => {
  for (const url of ['ftp://8.8.8.8/x', 'file:///etc/passwd', 'gopher://8.8.8.8/']) {
    await assert.rejects(assertDeliverableUrl(url, strict), refused(/scheme .* is not allowed/), url);
  }
  await assert.rejects(assertDeliverableUrl('not a url', strict), refused(/not a valid absolute URL/));
});

test('a name is refused if any of its addresses is not public', async () => {
  const resolve = async (host: string) => (host === 'hooks.example.com' ? ['93.184.216.34', '10.0.0.5'] : ['93.184.216.34']);
  await assert.rejects(
    assertDeliverableUrl('https://hooks.example.com/x', { allowPrivate: false, resolve }),
    refused(/hooks\.example\.com \(resolves to 10\.0\.0\.5\) is a private address/),
  );
  await assertDeliverableUrl('https://other.example.com/x', { allowPrivate: false, resolve });
});

test('resolver failures are passed on, not turned into a refusal', async () => {
  const resolve = async () => {
    throw Object.assign(new Error('getaddrinfo EAI_AGAIN hooks.example.com'), { code: 'EAI_AGAIN' });
  };
  await assert.rejects(assertDeliverableUrl('https://hooks.example.com/', { allowPrivate: false, resolve }), (err: unknown) => {
    return !(err instanceof UnsafeWebhookUrlError) && (err as { code?: string }).code === 'EAI_AGAIN';
  });
});

test('allowHosts accepts exact names and subdomains of wildcards, case-insensitively', async () => {
  const policy = { allowPrivate: true, allowHosts: ['hooks.customer.org', '*.example.org'] };
  for (const url of [
    'https://hooks.customer.org/x',
    'https://HOOKS.customer.org./x',
    'https://a.example.org/',
    'https://a.b.example.org/',
  ]) {
    await assertDeliverableUrl(url, policy);
  }
  for (const url of ['https://example.org/', 'https://evilexample.org/', 'https://customer.org/', 'https://hooks.customer.org.evil.com/']) {
    await assert.rejects(assertDeliverableUrl(url, policy), refused(/is not in the allowed hosts/), url);
  }
});

test('allowHosts does not lift the address check', async () => {
  const policy = { allowPrivate: false, allowHosts: ['127.0.0.1'] };
  await assert.rejects(assertDeliverableUrl('http://127.0.0.1/', policy), refused(/loopback/));
});

test('NAT64, 6to4 and Teredo addresses, which reach IPv4 hosts through a gateway, are refused', async () => {
  const cases: Array<[string, string]> = [
    ['64:ff9b::7f00:1', 'NAT64 (embeds IPv4)'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 (embeds IPv4)'],
    ['64:ff9b:1::a00:1', 'NAT64 (embeds IPv4)'],
    ['2002:7f00:1::1', '6to4 (embeds IPv4)'],
    ['2002:a9fe:a9fe::', '6to4 (embeds IPv4)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo (embeds IPv4)'],
  ];
  for (const [address, cls] of cases) assert.equal(nonPublicAddressClass(address), cls, address);
  // Neighbours stay public: the rest of 2001::/16 (most of the IPv6 Internet) and 2003::.
  for (const address of ['2001:db8:1::1'.replace('db8', '4860'), '2003::1', '64:ff9c::1'])
    assert.equal(nonPublicAddressClass(address), null, address);
  await assert.rejects(assertDeliverableUrl('http://[64:ff9b::7f00:1]/', strict), refused(/NAT64/));
});
