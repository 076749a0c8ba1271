import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../program/program';

/** A usage error is found before the command reads its configuration, let alone the registry. */
async function calibrate(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(['models', 'calibrate', ...argv], {
    config: () => {
      throw new Error('a usage error must not read the configuration');
    },
    out: (t) => void (out += t),
    err: (t) => void (err += t),
  });
  return { code, out, err };
}

describe('pneumoscreen models calibrate: usage', () => {
  test('bad or conflicting options exit 2 naming the option; --help exits 0', async () => {
    assert.equal((await calibrate('--data', 'd', '--from-feedback')).code, 2);
    assert.equal((await calibrate()).code, 2);
    assert.equal((await calibrate('--data', 'd', '--target-sensitivity', '1.5')).code, 2);
    assert.match((await calibrate('--data', 'd', '--method', 'guess')).err, /error: --method must be empirical or order-statistic or/);
    assert.match((await calibrate('--data', 'd', '--confidence', '1')).err, /error: --confidence must be a number in \(0, 1\), not "1"/);
    assert.equal((await calibrate('--data', 'd', '--interval-width', '0')).code, 2);
    assert.match((await calibrate('--data', 'd', '--site', 'Hospital A')).err, /error: --site must be 2-63 of a-z 0-9/);
    assert.match((await calibrate('--help')).out, /^Usage: pneumoscreen models calibrate \[options\] \[version\]/);
  });
});
