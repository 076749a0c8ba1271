import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@pneumoscreen/testing';

const TRAIN = path.join(repoRoot(), '../shared/data/kermany224-train');
const main = path.join(repoRoot(), 'apps/cli/dist/main.js');

/** Runs `pneumoscreen eval` offline: no Redis or S3 configured. */
async function evaluate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, 'eval', ...args], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('pneumoscreen eval (released model, real X-rays)', () => {
  let data: string;
  let threshold: number;
  let version: string;

  before(async () => {
    data = await mkdtemp(path.join(tmpdir(), 'eval-set-'));
    for (const label of ['NORMAL', 'PNEUMONIA']) {
      await mkdir(path.join(data, label, 'nested'), { recursive: true });
      const files = (await readdir(path.join(TRAIN, label))).sort().slice(0, 6);
      for (const f of files) await copyFile(path.join(TRAIN, label, f), path.join(data, label, 'nested', f));
    }
    const releases = path.join(repoRoot(), 'models/releases');
    version = (await readFile(path.join(releases, 'CURRENT'), 'utf8')).trim();
    threshold = JSON.parse(await readFile(path.join(releases, version, 'manifest.json'), 'utf8')).threshold;
  });

  test('--json prints the metrics of the production model at its own threshold', async () => {
    const { code, out, err } = await evaluate('--data', data, '--json');
    assert.equal(code, 0, err);
    const r = JSON.parse(out);
    for (const key of ['n', 'accuracy', 'sensitivity', 'specificity', 'auc', 'threshold', 'confusion', 'modelVersion'])
      assert.ok(key in r, `no ${key}`);
    assert.match(r.engine, /^(onnxruntime|tfjs)-/, 'the engine that scored is named');
    assert.deepEqual([r.n, r.threshold, r.modelVersion, r.thresholdSource], [12, threshold, version, 'model']);
    const c = r.confusion;
    assert.deepEqual([c.tp + c.fn, c.tn + c.fp], [6, 6]);
    assert.equal(r.accuracy, (c.tp + c.tn) / 12);
  });

  test("--reshape scores reshaped images at the model's own threshold and says so", async () => {
    const { code, out, err } = await evaluate('--data', data, '--reshape', 'narrower', '--json');
    assert.equal(code, 0, err);
    const r = JSON.parse(out);
    assert.deepEqual([r.n, r.threshold, r.reshape], [12, threshold, 'narrower']);
    const table = await evaluate('--data', data, '--reshape', 'wider');
    assert.match(table.out, new RegExp(`^model +${version} on \\S+ \\(images reshaped wider\\)$`, 'm'));
  });

  test('a bad --reshape, or one mixed with --tta, is a usage error', async () => {
    const bad = await evaluate('--data', data, '--reshape', 'sideways');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--reshape must be narrower or wider, not "sideways"/);
    const mixed = await evaluate('--data', data, '--reshape', 'wider', '--tta');
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /leave out --tta/);
  });
});
