import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter } from './protobuf';

const hex = (w: ProtoWriter) => Buffer.from(w.finish()).toString('hex');

// Expected bytes are the worked examples of https://protobuf.dev/programming-guides/encoding/
test('varints, strings, embedded messages and packed fields encode as the protobuf spec shows', () => {
  assert.equal(hex(new ProtoWriter().int(1, 150)), '089601');
  assert.equal(hex(new ProtoWriter().string(2, 'testing')), '120774657374696e67');
  assert.equal(hex(new ProtoWriter().message(3, (m) => m.int(1, 150))), '1a03089601');
  assert.equal(hex(new ProtoWriter().packedInts(4, [3, 270, 86942])), '2206038e029ea705');
});

test('negative int64s take ten bytes and floats are fixed32 little-endian', () => {
  assert.equal(hex(new ProtoWriter().int(1, -1)), '08ffffffffffffffffff01');
  assert.equal(hex(new ProtoWriter().float(1, 1)), '0d0000803f');
});

test('a value that is not a safe integer is refused rather than rounded', () => {
  assert.throws(() => new ProtoWriter().int(1, 1.5), /cannot encode 1.5/);
  assert.throws(() => new ProtoWriter().int(1, 2 ** 60), /cannot encode/);
});
