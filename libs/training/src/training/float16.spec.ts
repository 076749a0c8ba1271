import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHalfInto, encodeHalf, toHalf } from './float16';

const roundTrip = (xs: number[]) => {
  const out = new Float32Array(xs.length);
  decodeHalfInto(encodeHalf(Float32Array.from(xs)), out);
  return Array.from(out);
};

test('values a half can hold survive exactly, including subnormals, zero signs and infinities', () => {
  const exact = [0, -0, 1, -2.5, 6, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24, Infinity, -Infinity];
  assert.deepEqual(roundTrip(exact), exact);
  assert.ok(Number.isNaN(roundTrip([NaN])[0]));
});

test('other values round to the nearest half, ties to even, with overflow to infinity', () => {
  assert.equal(toHalf(1 + 2 ** -11), toHalf(1)); // tie: 1 is even
  assert.equal(toHalf(1 + 3 * 2 ** -11), toHalf(1 + 2 ** -9)); // tie: rounds up to the even one
  assert.equal(toHalf(2 ** -25), 0); // tie below the smallest subnormal goes to (even) zero
  assert.equal(toHalf(65520), 0x7c00);
  const xs = Array.from({ length: 2000 }, (_, i) => (i / 2000) * 6);
  roundTrip(xs).forEach((y, i) => assert.ok(Math.abs(y - xs[i]!) <= xs[i]! * 2 ** -11, `${xs[i]} -> ${y}`));
});
