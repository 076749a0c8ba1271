import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelManifest } from '@pneumoscreen/contracts';
import type { ThresholdMethodRow } from '@pneumoscreen/training';
import { thresholdMethodLines } from './train-report';

const row = (method: ThresholdMethodRow['method'], threshold: number, used = false): ThresholdMethodRow => ({
  method,
  threshold,
  sensitivity: 1 - threshold / 2,
  specificity: 0.5 + threshold,
  promiseConfidence: 1 - threshold,
  used,
});

test('train prints the rule and one line per method, the one used marked', () => {
  const manifest = {
    thresholdRule: { targetSensitivity: 0.95, method: 'binormal', confidence: 0.95, promiseConfidence: 0.998 },
  } as ModelManifest;
  const lines = thresholdMethodLines(manifest, [row('empirical', 0.2116), row('binormal', 0.0982, true)]);
  assert.match(lines[0]!, /^threshold: binormal at confidence 0\.95 for sensitivity 0\.95 on validation/);
  assert.match(lines[1]!, /^method +threshold +sensitivity +specificity +promise$/);
  assert.match(lines[2]!, /^ {2}empirical +0\.2116 +0\.8942 +0\.7116 +0\.788$/);
  assert.match(lines[3]!, /^\* binormal +0\.0982 +0\.9509 +0\.5982 +0\.902$/);
  assert.equal(lines.length, 4);
});
