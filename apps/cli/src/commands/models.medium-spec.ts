import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig } from '@pneumoscreen/config';
import {
  ModelRegistryListing,
  ModelRolledOutEvent,
  QueueName,
  WebhookJobData,
  webhookJobId,
  type ChannelChangeNotice,
} from '@pneumoscreen/contracts';
import { INT8_ONNX_FILE, readManifest, resolveModelDir } from '@pneumoscreen/model-format';
import { redisOptionsFromUrl, subscribeChannelNotices } from '@pneumoscreen/queue';
import { S3Server, copyRelease, repoRoot, startS3Server } from '@pneumoscreen/testing';
import { runCli } from '../program/program';

const bucket = 'cli-models';
const releases = path.join(repoRoot(), 'models/releases');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('pneumoscreen models (s3rver)', () => {
  let server: S3Server;
  let env: Record<string, string>;

  async function run(argv: string[], extra: Record<string, string> = {}) {
    let out = '';
    let err = '';
    const code = await runCli(['models', ...argv], {
      config: () => loadConfig({ ...env, ...extra }),
      out: (t) => void (out += t),
      err: (t) => void (err += t),
    });
    return { code, out, err };
  }

  before(async () => {
    server = await startS3Server({ buckets: [bucket] });
    env = {
      ...server.env,
      MODEL_REGISTRY: `s3://${bucket}/models`,
      REDIS_URL,
      REDIS_PREFIX: `{psmodels-${randomBytes(4).toString('hex')}}`,
    };
  });
  after(async () => server?.stop());

  test('list --json on an empty registry', async () => {
    const { code, out } = await run(['list', '--json']);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), {
      name: 'pneumoscreen-pneumonia',
      registry: `s3://${bucket}/models/pneumoscreen-pneumonia/`,
      channels: {},
      versions: [],
    });
  });

  test('publish, promote, then list --json shows the version with its metrics and channel', async () => {
    const manifest = await readManifest(await resolveModelDir(releases));
    const published = await run(['publish', releases]);
    assert.equal(published.code, 0, published.err);
    assert.match(
      published.out,
      new RegExp(`^published pneumoscreen-pneumonia@${manifest.version} \\(\\d+ files, [\\d.]+ MB\\) to s3://${bucket}/models/`),
    );

    const promoted = await run(['promote', manifest.version]);
    assert.deepEqual(promoted, { code: 0, out: `production: (none) -> ${manifest.version}\n`, err: '' });
    assert.equal((await run(['promote', manifest.version])).out, `production already points at ${manifest.version}\n`);
    assert.equal(
      (await run(['promote', manifest.version, '--channel', 'canary', '--fraction', '0.07'])).out,
      `canary: (none) -> ${manifest.version} for 7% of studies\n`,
    );

    const { code, out } = await run(['list', '--json']);
    assert.equal(code, 0);
    const listing = ModelRegistryListing.parse(JSON.parse(out));
    assert.deepEqual(Object.keys(listing.channels).sort(), ['canary', 'production']);
    assert.deepEqual(
      { ...listing.channels['production'], updatedAt: undefined },
      { version: manifest.version, previousVersion: null, updatedAt: undefined },
    );
    assert.deepEqual(listing.versions, [
      {
        version: manifest.version,
        architecture: manifest.architecture,
        createdAt: manifest.createdAt,
        parentVersion: manifest.parentVersion,
        threshold: manifest.threshold,
        validation: {
          auc: manifest.metrics['validation']!.auc,
          sensitivity: manifest.metrics['validation']!.sensitivity,
          specificity: manifest.metrics['validation']!.specificity,
        },
        channels: ['canary', 'production'],
        int8: true,
      },
    ]);

    const table = await run(['list']);
    assert.match(table.out, / int8\n/, 'the versions table has an int8 column');
    assert.match(table.out, / yes\n/, 'and the release has its int8 model');
    assert.match(table.out, new RegExp(`^production +${manifest.version.replace(/\./g, '\\.')} +\\d{4}-`, 'm'));
    assert.match(
      table.out,
      new RegExp(
        `^${manifest.version.replace(/\./g, '\\.')} +${manifest.architecture.replace(/\./g, '\\.')} +\\S+ +${manifest.metrics['validation']!.auc.toFixed(4)} `,
        'm',
      ),
    );
  });

  test('publishing a version twice fails with exit code 1 and says why', async () => {
    const { code, err } = await run(['publish', releases]);
    assert.equal(code, 1);
    assert.match(err, /already published .* immutable/);
  });

  test('usage errors exit 2; promoting an unknown version fails naming it', async () => {
    assert.equal((await run(['promote'])).code, 2);
    assert.equal((await run(['promote', 'v1', '--fraction', '2'])).code, 2);
    assert.equal((await run(['rollout'])).code, 2);
    assert.equal((await run(['canary', 'v1'])).code, 2, 'a canary needs its fraction');
    assert.equal((await run(['rollback', 'v1'])).code, 2);
    const unknown = await run(['promote', 'no-such-version']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^pneumoscreen: .*no published version "no-such-version"/);
  });

  test('promote, canary and rollback each notify subscribers and queue one model.rolled_out webhook per endpoint', async () => {
    const a = (await readManifest(await resolveModelDir(releases))).version;
    const b = await copyRelease({ version: `${a}-rollout`, threshold: 0.5 });
    assert.equal((await run(['publish', b.dir])).code, 0);
    const hooks = {
      WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      WEBHOOK_ENDPOINTS: JSON.stringify([
        { url: 'https://ops.example.org/models', events: ['model.rolled_out'] },
        { url: 'https://studies.example.org/', events: ['study.completed'] },
      ]),
    };
    const notices: ChannelChangeNotice[] = [];
    const unsubscribe = await subscribeChannelNotices(REDIS_URL, env['REDIS_PREFIX']!, (n) => notices.push(n));
    const queue = new Queue(QueueName.webhook, { connection: redisOptionsFromUrl(REDIS_URL), prefix: env['REDIS_PREFIX'] });
    try {
      const canary = await run(['canary', b.version, '--fraction', '0.25'], hooks);
      assert.equal(canary.code, 0, canary.err);
      assert.match(
        canary.out,
        new RegExp(`^canary: .* -> ${b.version} for 25% of studies\nmodel.rolled_out webhook queued for 1 endpoint\\(s\\)\n$`),
      );
      assert.equal((await run(['promote', b.version], hooks)).code, 0);
      const back = await run(['rollback'], hooks);
      assert.equal(back.code, 0, back.err);
      assert.match(back.out, new RegExp(`^production: ${b.version} -> ${a}\n`));

      const deadline = Date.now() + 5_000;
      while (notices.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const model = 'pneumoscreen-pneumonia';
      assert.deepEqual(notices, [
        { model, channel: 'canary', version: b.version },
        { model, channel: 'production', version: b.version },
        { model, channel: 'production', version: a },
      ]);
      const jobs = (await queue.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => ({
        id: j.id,
        data: WebhookJobData.parse(j.data),
      }));
      assert.equal(jobs.length, 3, 'one delivery per change, only to the endpoint that takes model.rolled_out');
      const events = jobs.map((j) => {
        assert.equal(j.id, webhookJobId(j.data.messageId, 'https://ops.example.org/models'), 'the standard job id scheme');
        return ModelRolledOutEvent.parse(JSON.parse(j.data.body)).data;
      });
      events.sort((x, y) => ['canary', 'promote', 'rollback'].indexOf(x.action) - ['canary', 'promote', 'rollback'].indexOf(y.action));
      assert.deepEqual(events, [
        { action: 'canary', model, channel: 'canary', version: b.version, previousVersion: a, fraction: 0.25 },
        { action: 'promote', model, channel: 'production', version: b.version, previousVersion: a },
        { action: 'rollback', model, channel: 'production', version: a, previousVersion: b.version },
      ]);
      assert.equal(new Set(jobs.map((j) => j.data.messageId)).size, 3);
    } finally {
      await unsubscribe();
      await queue.close();
    }

    const none = await run(['rollback', '--channel', 'nightly']);
    assert.equal(none.code, 1);
    assert.match(none.err, /nightly has never pointed at a version/);
  });

  test('with ENGINE=onnxruntime-int8 a version without an int8 model is refused, and the channel stays', async () => {
    const float = await copyRelease({ version: 'float-only' });
    await rm(path.join(float.dir, INT8_ONNX_FILE));
    assert.equal((await run(['publish', float.dir])).code, 0);
    const before = (await run(['list', '--json'])).out;
    for (const argv of [
      ['promote', float.version],
      ['canary', float.version, '--fraction', '0.1'],
    ]) {
      const refused = await run(argv, { ENGINE: 'onnxruntime-int8' });
      assert.equal(refused.code, 1);
      assert.match(
        refused.err,
        /^float-only has no int8 model \(model\.int8\.onnx\), which workers on ENGINE=onnxruntime-int8 need: .*; (production|canary) is unchanged\n$/,
      );
    }
    const after = JSON.parse((await run(['list', '--json'])).out) as ModelRegistryListing;
    assert.deepEqual(after.channels, (JSON.parse(before) as ModelRegistryListing).channels);
    assert.equal(after.versions.find((v) => v.version === float.version)?.int8, false);
  });

  test('without MODEL_REGISTRY the command says what to set', async () => {
    const { code, err } = await run(['list'], { MODEL_REGISTRY: '' });
    assert.equal(code, 1);
    assert.match(err, /MODEL_REGISTRY is not set/);
  });
});
