import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildContainerVariants, repoRoot, sharedDir, type VariantSet } from '@pneumoscreen/testing';

const main = path.join(repoRoot(), 'apps/cli/dist/main.js');

interface Row {
  file: string;
  probability?: number;
  error?: string;
}

/** Runs `pneumoscreen classify ... --json` offline (no Redis or S3), on the released model. */
async function classify(args: string[], env: Record<string, string> = {}): Promise<{ code: number; rows: Row[]; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, 'classify', ...args, '--json'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      maxBuffer: 64 << 20,
    });
    return { code: 0, rows: JSON.parse(stdout) as Row[], err: stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, rows: e.stdout ? (JSON.parse(e.stdout) as Row[]) : [], err: e.stderr };
  }
}

describe('pneumoscreen classify: one radiograph scores the same in every container', () => {
  let set: VariantSet;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'classify-containers-'));
    // 1232x952, shrunk 4x or more to 224 px: the bare JPEG once scored 0.925, its PNG 0.891.
    set = await buildContainerVariants(path.join(sharedDir(), 'data/kermany-original-sample/PNEUMONIA/person1110_bacteria_3051.jpeg'), dir);
  });

  test('the JPEG, its PNG and every DICOM encoding get probabilities within 1e-3', async () => {
    const { code, rows, err } = await classify([dir]);
    assert.equal(code, 0, err);
    const byFile = new Map(rows.map((r) => [r.file, r]));
    const png = byFile.get(set.variants.find((v) => v.name === 'PNG')!.file)!.probability!;
    for (const v of set.variants) {
      const row = byFile.get(v.file);
      assert.ok(row, `${v.name}: no row`);
      assert.equal(row.error, undefined, `${v.name}: ${row.error}`);
      assert.ok(Math.abs(row.probability! - png) <= 1e-3, `${v.name}: P = ${row.probability} against ${png} for the PNG`);
    }
    assert.equal(rows.length, set.variants.length);
  });
});
