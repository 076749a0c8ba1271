import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNewResult } from './result-file';

test('a run on a day that already has results gets the next free name and leaves the earlier ones as they were', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
  try {
    assert.equal(await writeNewResult(dir, '2026-11-27-e2e', 'first'), join(dir, '2026-11-27-e2e.json'));
    assert.equal(await writeNewResult(dir, '2026-11-27-e2e', 'second'), join(dir, '2026-11-27-e2e-2.json'));
    assert.equal(await writeNewResult(dir, '2026-11-27-e2e', 'third'), join(dir, '2026-11-27-e2e-3.json'));
    assert.equal(await readFile(join(dir, '2026-11-27-e2e.json'), 'utf8'), 'first');
    assert.equal(await readFile(join(dir, '2026-11-27-e2e-2.json'), 'utf8'), 'second');
    assert.deepEqual((await readdir(dir)).sort(), ['2026-11-27-e2e-2.json', '2026-11-27-e2e-3.json', '2026-11-27-e2e.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a results folder that cannot be written fails with the file system\'s error, not a loop', async () => {
  await assert.rejects(writeNewResult(join(tmpdir(), 'no-such-folder-for-bench', 'deeper'), 'x', '{}'), { code: 'ENOENT' });
});
