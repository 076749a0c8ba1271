import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelPointer } from '@pneumoscreen/contracts';
import { canaryPosition, versionForStudy } from './routing';

const pointer = (version: string, updatedAt: string, fraction?: number): ChannelPointer => ({
  version,
  updatedAt,
  previousVersion: null,
  fraction,
});
const production = pointer('A', '2025-01-01T00:00:00.000Z');
const ids = Array.from({ length: 20_000 }, (_, i) => `study-${i}`);

test('without a canary every study goes to production, and nothing without production', () => {
  assert.equal(versionForStudy('s1', { production, canary: null }), 'A');
  assert.equal(versionForStudy('s1', { production: null, canary: pointer('B', '2025-02-01T00:00:00.000Z', 1) }), undefined);
});

test('canary routing is stable: the same study lands on the same version every time', () => {
  const channels = { production, canary: pointer('B', '2025-02-01T00:00:00.000Z', 0.3) };
  for (const id of ids.slice(0, 500)) assert.equal(versionForStudy(id, channels), versionForStudy(id, { ...channels }));
  // A bigger canary keeps every study the smaller one took.
  const wider = { production, canary: pointer('B', '2025-02-01T00:00:00.000Z', 0.5) };
  for (const id of ids.filter((i) => versionForStudy(i, channels) === 'B')) assert.equal(versionForStudy(id, wider), 'B');
});

test('the canary takes its fraction of studies within tolerance', () => {
  for (const fraction of [0.01, 0.1, 0.5, 0.9]) {
    const channels = { production, canary: pointer('B', '2025-02-01T00:00:00.000Z', fraction) };
    const share = ids.filter((id) => versionForStudy(id, channels) === 'B').length / ids.length;
    // 4 standard deviations of a binomial share over 20 000 studies.
    const tolerance = 4 * Math.sqrt((fraction * (1 - fraction)) / ids.length);
    assert.ok(Math.abs(share - fraction) < tolerance, `fraction ${fraction}: got ${share}`);
  }
  const all = { production, canary: pointer('B', '2025-02-01T00:00:00.000Z', 1) };
  assert.ok(ids.every((id) => versionForStudy(id, all) === 'B'));
});

test('positions spread evenly over [0, 1)', () => {
  const deciles = new Array<number>(10).fill(0);
  for (const id of ids) deciles[Math.floor(canaryPosition(id) * 10)]!++;
  for (const n of deciles) assert.ok(Math.abs(n - ids.length / 10) < 300, `deciles ${deciles.join(',')}`);
});

test('a production change after the canary ends it; a canary without a fraction takes nothing', () => {
  const stale = { production: pointer('C', '2025-03-01T00:00:00.000Z'), canary: pointer('B', '2025-02-01T00:00:00.000Z', 1) };
  assert.ok(ids.slice(0, 100).every((id) => versionForStudy(id, stale) === 'C'));
  const noFraction = { production, canary: pointer('B', '2025-02-01T00:00:00.000Z') };
  assert.ok(ids.slice(0, 100).every((id) => versionForStudy(id, noFraction) === 'A'));
});
