import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppConfig } from '@pneumoscreen/config';
import { runCli } from '../program/program';

test('bench refuses an unknown section or worker count before measuring anything', async () => {
  const bench = async (...argv: string[]) => {
    let err = '';
    const code = await runCli(['bench', ...argv], {
      config: (): AppConfig => assert.fail('read no settings'),
      out: () => undefined,
      err: (t) => void (err += t),
    });
    assert.equal(code, 2, argv.join(' '));
    return err;
  };
  assert.match(
    await bench('--only', 'decode,gpu'),
    /--only takes a comma-separated list of decode, engines, heatmaps, e2e, soak, not "decode,gpu"/,
  );
  assert.match(await bench('--only', ''), /--only takes/);
  assert.match(await bench('--workers', '1,0'), /--workers takes a comma-separated list of worker counts from 1 to 99, not "1,0"/);
  assert.match(await bench('--ingests', '0'), /--ingests must be a whole number from 1 to 64, not "0"/);
  assert.match(await bench('--s3-servers', 'two'), /--s3-servers must be a whole number from 1 to 64, not "two"/);
  assert.match(await bench('--repeat', '0'), /--repeat must be a whole number from 1 to 9, not "0"/);
});
