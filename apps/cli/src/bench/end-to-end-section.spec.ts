import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianRuns, splitCores } from './end-to-end-section';
import { formatReport } from './report';

test('with --repeat, each case keeps its median run and lists every run in the order they ran', () => {
  const run = (label: string, imagesPerSecond: number, p50: number) => ({ label, workers: 1, batching: true, images: 1000, imagesPerSecond, p50, p95: p50, p99: p50 });
  const rounds = [
    [run('pipeline', 90, 1.1), run('naive baseline', 9, 50)],
    [run('pipeline', 119, 0.9), run('naive baseline', 8.5, 55)],
    [run('pipeline', 101, 1.0), run('naive baseline', 8.7, 52)],
  ];
  const rows = medianRuns(rounds);
  assert.deepEqual(rows, [{ ...run('pipeline', 101, 1.0), runs: [90, 119, 101] }, { ...run('naive baseline', 8.7, 52), runs: [9, 8.5, 8.7] }]);
  assert.deepEqual(medianRuns([rounds[0]!, rounds[1]!]).map((r) => r.imagesPerSecond), [90, 8.5], 'the lower middle run of an even count');
  assert.deepEqual(medianRuns([rounds[0]!]), rounds[0], 'one run: the rows as they are, with no runs list');
  const text = formatReport({ date: '', machine: {}, model: 'v', endToEnd: rows, speedupVsBaseline: 11.6 });
  assert.match(text, /^  pipeline: 90, 119, 101$/m);
});

test('several workers split the cores between their engines unless ENGINE_THREADS is given', () => {
  assert.deepEqual(splitCores(1, 2, {}), {}, 'one worker keeps the engine default');
  assert.deepEqual(splitCores(2, 2, {}), { ENGINE_THREADS: '1' });
  assert.deepEqual(splitCores(4, 16, {}), { ENGINE_THREADS: '4' });
  assert.deepEqual(splitCores(3, 2, {}), { ENGINE_THREADS: '1' }, 'never fewer than one thread');
  assert.deepEqual(splitCores(2, 16, { ENGINE_THREADS: '3' }), {}, "the caller's setting reaches the workers as it is");
});
