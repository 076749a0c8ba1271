import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchCommand } from './bench';

test('bench refuses an unknown section or worker count before measuring anything', async () => {
  await assert.rejects(benchCommand(['--only', 'decode,gpu']), /--only takes a comma-separated list of decode, engines, e2e, soak, not "decode,gpu"/);
  await assert.rejects(benchCommand(['--only', '']), /--only takes/);
  await assert.rejects(benchCommand(['--workers', '1,0']), /--workers takes a comma-separated list of worker counts from 1 to 99, not "1,0"/);
  await assert.rejects(benchCommand(['--ingests', '0']), /--ingests takes a process count from 1 to 64, not "0"/);
  await assert.rejects(benchCommand(['--s3-servers', 'two']), /--s3-servers takes a process count from 1 to 64, not "two"/);
  await assert.rejects(benchCommand(['--repeat', '0']), /--repeat takes a number of runs from 1 to 9, not "0"/);
});
