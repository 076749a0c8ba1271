import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatcher } from './micro-batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe('MicroBatcher', () => {
  test('a full batch runs at once, in submission order', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), xs.map((x) => x * 10)), { maxBatch: 3, maxWaitMs: 60_000 });
    const out = await Promise.all([1, 2, 3].map((x) => b.submit(x)));
    assert.deepEqual(out, [10, 20, 30]);
    assert.deepEqual(calls, [[1, 2, 3]]);
  });

  test('a partial batch waits maxWaitMs, then runs', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let now = 0;
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => (calls.push(xs), xs),
      { maxBatch: 8, maxWaitMs: 50 },
      () => now,
    );
    const p = b.submit(1);
    void b.submit(2);
    await tick();
    assert.equal(calls.length, 0);
    now = 50;
    t.mock.timers.tick(50);
    assert.equal(await p, 1);
    assert.deepEqual(calls, [[1, 2]]);
  });

  test('a preferred size runs without waiting', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (calls.push(xs), xs), {
      maxBatch: 32,
      maxWaitMs: 60_000,
      preferredSizes: [2],
    });
    await Promise.all([b.submit(1), b.submit(2)]);
    assert.deepEqual(calls, [[1, 2]]);
  });

  test('items arriving while a batch runs form the next batch, never a concurrent one', async () => {
    let active = 0;
    let maxActive = 0;
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        active++;
        maxActive = Math.max(maxActive, active);
        calls.push(xs);
        if (calls.length === 1) await gate;
        active--;
        return xs;
      },
      { maxBatch: 2, maxWaitMs: 5 },
    );
    const first = [b.submit(1), b.submit(2)];
    await tick();
    const rest = [b.submit(3), b.submit(4), b.submit(5)];
    await tick();
    assert.equal(b.pending, 3);
    release();
    await Promise.all([...first, ...rest]);
    assert.equal(maxActive, 1);
    assert.deepEqual(calls, [[1, 2], [3, 4], [5]]);
  });

  test('a failing batch rejects its own items only', async () => {
    let n = 0;
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        if (n++ === 0) throw new Error('model crashed');
        return xs;
      },
      { maxBatch: 1, maxWaitMs: 0 },
    );
    const a = b.submit(1);
    const c = b.submit(2);
    await assert.rejects(a, /model crashed/);
    assert.equal(await c, 2);
  });
});
