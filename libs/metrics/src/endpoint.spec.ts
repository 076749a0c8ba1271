import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Counter } from 'prom-client';
import { MetricsEndpoint, metricsRegistry } from './endpoint';

function get(url: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

test('GET /metrics serves the registry in Prometheus text format where asked; nothing listens without an address', async () => {
  const registry = metricsRegistry();
  new Counter({ name: 'pneumoscreen_test_total', help: 'a test counter', labelNames: ['engine'], registers: [registry] }).inc({
    engine: 'tfjs-wasm',
  });
  const logged: string[] = [];
  const server = new MetricsEndpoint({ host: '127.0.0.1', port: 0 }, registry, (l) => logged.push(l));
  await server.onApplicationBootstrap();
  try {
    const url = server.url;
    assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ok = await get(url!);
    assert.equal(ok.status, 200);
    assert.match(ok.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(ok.body, /^pneumoscreen_test_total\{engine="tfjs-wasm"\} 1$/m);
    assert.match(ok.body, /^process_resident_memory_bytes \d+/m, "the process's own metrics too");
    assert.deepEqual(logged, [`metrics at ${url}`]);
    assert.equal((await get(url!.replace('/metrics', '/'))).status, 404);
  } finally {
    await server.onApplicationShutdown();
  }

  const off = new MetricsEndpoint(undefined, registry, (l) => logged.push(l));
  await off.onApplicationBootstrap();
  assert.equal(off.url, undefined);
});

test('GET /ready answers 503 until the readiness check holds, then 200', async () => {
  let ready = false;
  const server = new MetricsEndpoint(
    { host: '127.0.0.1', port: 0 },
    metricsRegistry(),
    () => undefined,
    () => ready,
  );
  await server.onApplicationBootstrap();
  try {
    const url = server.url!.replace('/metrics', '/ready');
    assert.deepEqual(await get(url), { status: 503, type: 'text/plain', body: 'not ready\n' });
    ready = true;
    assert.deepEqual(await get(url), { status: 200, type: 'text/plain', body: 'ready\n' });
  } finally {
    await server.onApplicationShutdown();
  }
});
