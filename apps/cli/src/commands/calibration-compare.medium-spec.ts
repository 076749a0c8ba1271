import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@pneumoscreen/testing';

const TRAIN = path.join(repoRoot(), '../shared/data/kermany224-train');
const main = path.join(repoRoot(), 'apps/cli/dist/main.js');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, 'calibration', 'compare', ...args], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

describe('pneumoscreen calibration compare (released model, real X-rays)', () => {
  let data: string;
  let cache: string;

  before(async () => {
    data = await mkdtemp(path.join(tmpdir(), 'calibration-compare-'));
    cache = path.join(data, 'cache');
    for (const [label, n] of [
      ['NORMAL', 40],
      ['PNEUMONIA', 80],
    ] as const) {
      await mkdir(path.join(data, 'set', label), { recursive: true });
      for (const f of (await readdir(path.join(TRAIN, label))).sort().slice(0, n))
        await copyFile(path.join(TRAIN, label, f), path.join(data, 'set', label, f));
    }
  });

  test('--help names the options', async () => {
    const { code, out } = await cli('--help');
    assert.equal(code, 0);
    for (const option of ['--draws', '--site-size', '--target', '--confidence', '--seed', '--originals', '--json'])
      assert.match(out, new RegExp(option));
  });

  test('on a small set: every method on the validation split and its shifted copy, the draws held out, the scores cached', async () => {
    const args = ['--data', path.join(data, 'set'), '--site-size', '10', '--draws', '20', '--cache-dir', cache, '--json'];
    const first = await cli(...args);
    assert.equal(first.code, 0, first.err);
    const run = JSON.parse(first.out);
    assert.deepEqual(
      run.sources.map((s: { name: string }) => s.name),
      ['validation', 'shifted'],
    );
    for (const s of run.sources) {
      const d = s.draws;
      assert.equal(d.site.positives + d.site.negatives, 10);
      assert.equal(d.site.positives + d.heldOut.positives, d.positives);
      assert.equal(d.images - d.positives, d.site.negatives + d.heldOut.negatives);
      assert.deepEqual(
        d.results.map((r: { method: string }) => r.method),
        ['empirical', 'order-statistic', 'bootstrap', 'binormal'],
      );
      for (const r of d.results) assert.ok(r.kept >= 0 && r.kept <= 1 && r.p5Sensitivity <= r.meanSensitivity, JSON.stringify(r));
      assert.equal(s.whole.length, 4);
    }
    assert.equal(run.sources[0].draws.images, run.sources[1].draws.images, 'the shifted copy is of the same images');
    assert.equal((await readdir(cache)).length, 2, 'one score file per source');
    const again = await cli(...args);
    assert.equal(again.out, first.out, 'a rerun from the cache repeats the result');
  });

  test('a confidence of 1 is a usage error', async () => {
    const { code, err } = await cli('--data', path.join(data, 'set'), '--confidence', '1');
    assert.equal(code, 2);
    assert.match(err, /confidence/);
  });
});
