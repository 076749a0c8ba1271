import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readCapped, readPrefix } from './read-capped';

/** A body of `chunks` 4-byte chunks that counts how many were pulled from it. */
function body(chunks: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < chunks; i++) {
        pulled++;
        yield Buffer.from(`ab${i}`.padEnd(4, '.'));
      }
    })(),
  );
  return { stream, pulled: () => pulled };
}

describe('readCapped', () => {
  test('returns the whole body up to and at the limit', async () => {
    assert.equal((await readCapped(body(3).stream, 100))?.toString(), 'ab0.ab1.ab2.');
    assert.equal((await readCapped(body(3).stream, 12))?.length, 12);
    assert.equal((await readCapped(body(0).stream, 0))?.length, 0);
  });

  test('gives up at the first byte over the limit, stops pulling and destroys the stream', async () => {
    const { stream, pulled } = body(1000);
    assert.equal(await readCapped(stream, 10), null);
    assert.ok(pulled() < 10, `pulled ${pulled()} chunks of a body it had already refused`);
    assert.equal(stream.destroyed, true);
  });
});

describe('readPrefix', () => {
  test('cuts the body at the limit, even inside a chunk, and stops pulling at the next chunk', async () => {
    const { stream, pulled } = body(1000);
    assert.equal((await readPrefix(stream, 6)).toString(), 'ab0.ab');
    assert.equal(pulled(), 3);
    assert.equal(stream.destroyed, true);
  });

  test('a body of exactly the limit is read to its end, not cut off', async () => {
    const { stream } = body(2);
    let ended = false;
    stream.once('end', () => (ended = true));
    assert.equal((await readPrefix(stream, 8)).toString(), 'ab0.ab1.');
    assert.equal(ended, true);
  });

  test('returns all of a body shorter than the limit', async () => {
    assert.equal((await readPrefix(body(2).stream, 100)).toString(), 'ab0.ab1.');
  });
});
