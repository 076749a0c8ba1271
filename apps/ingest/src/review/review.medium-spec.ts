import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { sha256Hex } from '@pneumoscreen/config';
import { resultsKey, type ImageResult, type StudyResult } from '@pneumoscreen/contracts';
import { S3ObjectStore } from '@pneumoscreen/storage';
import { RedisStudyRepository } from '@pneumoscreen/studies';
import { startS3Server, type S3Server } from '@pneumoscreen/testing';
import { ingestHttpConfig, listenIngest, type IngestHttp } from '../ingest-http.test-harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEYS = { aViewer: 'a-feedback-only-key-00001', aRis: 'a-submit-and-status-key-0001', bViewer: 'b-feedback-only-key-00001' };
const PNG = Buffer.from('89504e470d0a1a0a-stand-in-for-a-heatmap');
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

const image = (key: string, probability: number, extra: Partial<ImageResult> = {}): ImageResult => ({
  key,
  etag: `e-${key}`,
  probability,
  decision: probability >= 0.5 ? 'PNEUMONIA' : 'NORMAL',
  modelVersion: 'v7',
  ...extra,
});
const result = (studyId: string, images: ImageResult[]): StudyResult => ({
  studyId,
  bucket: 'shared',
  status: 'completed',
  modelVersion: 'v7',
  threshold: 0.5,
  thresholdSource: 'model',
  images,
  submittedAt: new Date().toISOString(),
  completedAt: new Date().toISOString(),
  resultsKey: resultsKey(studyId),
});

/** Ingest's review routes for real (Nest, Redis, s3rver), two tenants sharing a bucket: a reader
 * signs in with a feedback key, sees only the tenant's studies and heatmaps, and labels through
 * /v1/feedback with the session cookie, which opens nothing else. */
describe('the review page per tenant (HTTP, real Redis and s3rver)', () => {
  let s3: S3Server;
  let ingest: IngestHttp;
  let url: string;
  let redis: Redis;
  const prefix = `{pstest-review-${randomUUID()}}`;

  const signIn = (apiKey: string, readerId: string) =>
    fetch(`${url}/review/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN },
      body: new URLSearchParams({ apiKey, readerId }),
    });
  const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { cookie, ...(init.headers as Record<string, string>) } });
  const label = (cookie: string, body: object, headers: Record<string, string> = SAME_ORIGIN) =>
    withCookie(cookie, '/v1/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  before(async () => {
    s3 = await startS3Server({ buckets: ['shared'] });
    const tenants = [
      {
        id: 'hospital-a',
        locations: [{ bucket: 'shared', prefix: 'a/' }],
        apiKeys: [
          { id: 'ris', sha256: sha256Hex(KEYS.aRis), scopes: ['submit', 'status'] },
          { id: 'viewer', sha256: sha256Hex(KEYS.aViewer), scopes: ['feedback'] },
        ],
      },
      {
        id: 'hospital-b',
        locations: [{ bucket: 'shared', prefix: 'b/' }],
        apiKeys: [{ id: 'viewer', sha256: sha256Hex(KEYS.bViewer), scopes: ['feedback'] }],
      },
    ];
    const config = ingestHttpConfig(s3, prefix, 'shared', { TENANTS: JSON.stringify(tenants) });
    const store = new S3ObjectStore(config.s3);
    redis = new Redis(REDIS_URL);
    const studies = new RedisStudyRepository(redis, prefix);
    // Under TENANTS a study's id is <tenant>.<name>, as ingest names it.
    const held = [
      [
        'hospital-a',
        result('hospital-a.a-sure', [image('a/sure/x.jpeg', 0.02, { heatmap: { key: 'results/hospital-a.a-sure/x.heatmap.png' } })]),
      ],
      [
        'hospital-a',
        result('hospital-a.a-close', [
          image('a/close/x.jpeg', 0.93),
          image('a/close/y.jpeg', 0.51, { heatmap: { unavailable: 'batch-cost' } }),
        ]),
      ],
      [
        'hospital-b',
        result('hospital-b.b-close', [image('b/close/x.jpeg', 0.5, { heatmap: { key: 'results/hospital-b.b-close/x.heatmap.png' } })]),
      ],
    ] as const;
    for (const [tenantId, r] of held) {
      await store.putObject('shared', r.resultsKey, JSON.stringify(r), 'application/json');
      await studies.complete(r.studyId, 'completed', r.resultsKey, { imageCount: r.images.length, errorCount: 0 }, new Date(), {
        tenantId,
        bucket: 'shared',
      });
    }
    await store.putObject('shared', 'results/hospital-a.a-sure/x.heatmap.png', PNG, 'image/png');
    await store.putObject('shared', 'results/hospital-b.b-close/x.heatmap.png', PNG, 'image/png');
    ingest = await listenIngest(config);
    url = ingest.url;
  });
  after(async () => {
    await ingest?.close();
    await s3?.stop();
    redis?.disconnect();
  });

  test('without a session the page is the sign-in form, served with a strict content security policy', async () => {
    const res = await fetch(`${url}/review`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<form method="post" action="\/review\/session">/);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal((await fetch(`${url}/review/worklist`)).status, 401);
    assert.equal((await fetch(`${url}/review/assets/review.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${url}/review/assets/login.html`)).status, 404);
  });

  test('only a key with the feedback scope and a valid reader id signs in, into a Secure, HttpOnly, SameSite=Strict cookie', async () => {
    for (const [key, reader] of [
      [KEYS.aRis, 'dr-1'],
      [KEYS.aViewer, 'Dr Jane Roe'],
      ['not-a-key-at-all-000001', 'dr-1'],
    ] as const) {
      const refused = await signIn(key, reader);
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('set-cookie'), null);
      assert.match(await refused.text(), /role="alert"/);
    }
    const crossSite = await fetch(`${url}/review/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ apiKey: KEYS.aViewer, readerId: 'dr-1' }),
    });
    assert.equal(crossSite.status, 403);
    const ok = await signIn(KEYS.aViewer, 'dr-1');
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/review');
    assert.match(
      ok.headers.get('set-cookie') ?? '',
      /^__Host-pneumoscreen-review=[\w-]{43}; Path=\/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/,
    );
    assert.match(await (await withCookie(cookieOf(ok), '/review')).text(), /review\.js/);
  });

  test("the worklist holds the tenant's own studies, most uncertain first, and serves their heatmaps only", async () => {
    const a = cookieOf(await signIn(KEYS.aViewer, 'dr-1'));
    const res = await withCookie(a, '/review/worklist');
    assert.equal(res.status, 200);
    const worklist = (await res.json()) as {
      tenantId: string;
      readerId: string;
      studies: Array<{ studyId: string; images: Array<{ key: string; heatmap: { url?: string; unavailable?: string } }> }>;
    };
    assert.deepEqual([worklist.tenantId, worklist.readerId], ['hospital-a', 'dr-1']);
    assert.deepEqual(
      worklist.studies.map((s) => s.studyId),
      ['hospital-a.a-close', 'hospital-a.a-sure'],
    );
    assert.deepEqual(
      worklist.studies[0]!.images.map((i) => [i.key, i.heatmap.unavailable]),
      [
        ['a/close/y.jpeg', 'batch-cost'],
        ['a/close/x.jpeg', 'none'],
      ],
    );
    const heatmapUrl = worklist.studies[1]!.images[0]!.heatmap.url!;
    assert.equal(heatmapUrl, '/review/heatmaps/shared/hospital-a.a-sure/0');
    const png = await withCookie(a, heatmapUrl);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await png.arrayBuffer()), PNG);
    assert.equal(
      (await withCookie(a, '/review/heatmaps/shared/hospital-b.b-close/0')).status,
      404,
      "another tenant's heatmap is not there for this one",
    );
    assert.equal((await fetch(`${url}${heatmapUrl}`)).status, 401);

    const b = cookieOf(await signIn(KEYS.bViewer, 'reader-b'));
    const theirs = (await (await withCookie(b, '/review/worklist')).json()) as { studies: Array<{ studyId: string }> };
    assert.deepEqual(
      theirs.studies.map((s) => s.studyId),
      ['hospital-b.b-close'],
    );
    assert.equal((await withCookie(b, heatmapUrl)).status, 404);
  });

  test('the session labels through /v1/feedback as its own reader, from this origin only, and opens no other route', async () => {
    const a = cookieOf(await signIn(KEYS.aViewer, 'dr-1'));
    const body = { studyId: 'a-close', key: 'a/close/y.jpeg', label: 'PNEUMONIA', readerId: 'dr-1' };
    const ok = await label(a, body);
    assert.equal(ok.status, 202, await ok.clone().text());
    const after = (await (await withCookie(a, '/review/worklist')).json()) as {
      studies: Array<{ studyId: string; images: Array<{ key: string; labelled?: string }> }>;
    };
    assert.deepEqual(
      after.studies[0]!.images.map((i) => [i.key, i.labelled]),
      [
        ['a/close/x.jpeg', undefined],
        ['a/close/y.jpeg', 'PNEUMONIA'],
      ],
      'the labelled image goes last',
    );
    assert.equal((await label(a, { ...body, readerId: 'dr-2' })).status, 403);
    assert.equal((await label(a, body, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await label(a, body, { origin: 'https://evil.example.org' })).status, 403);
    assert.equal((await label(a, { ...body, studyId: 'b-close', key: 'b/close/x.jpeg' })).status, 404);
    assert.equal((await withCookie(a, '/v1/studies/a-close')).status, 403);
    assert.equal((await label('__Host-pneumoscreen-review=forged', body)).status, 401);
  });

  test('signing out ends the session', async () => {
    const a = cookieOf(await signIn(KEYS.aViewer, 'dr-1'));
    const out = await withCookie(a, '/review/session/end', { method: 'POST', redirect: 'manual', headers: SAME_ORIGIN });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await withCookie(a, '/review/worklist')).status, 401);
    assert.match(await (await withCookie(a, '/review')).text(), /action="\/review\/session"/);
  });
});
