import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PixelAttributes } from './attributes';
import { toDisplayGrey } from './grayscale';

function attrs(over: Partial<PixelAttributes>): PixelAttributes {
  return {
    rows: 1,
    columns: 1,
    photometric: 'MONOCHROME2',
    bitsAllocated: 16,
    bitsStored: 16,
    signed: false,
    numberOfFrames: 1,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    ...over,
  };
}

const grey = (values: number[], a: Partial<PixelAttributes>) =>
  Array.from(toDisplayGrey((a.bitsAllocated ?? 16) === 8 ? Uint8Array.from(values) : Uint16Array.from(values), attrs(a)));

test('LINEAR window follows PS3.3 C.11.2.1.2.1, with its half-pixel offsets', () => {
  // c = 50, w = 11: 0 at or below 44.5, 255 above 54.5, ((x - 49.5) / 10 + 0.5) * 255 between.
  const window = { center: 50, width: 11, fn: 'LINEAR' as const };
  assert.deepEqual(grey([0, 44, 45, 50, 54, 55, 65535], { window }), [0, 0, 13, 140, 242, 255, 255]);
});

test('LINEAR_EXACT and SIGMOID windows', () => {
  assert.deepEqual(grey([0, 100, 150, 200], { window: { center: 100, width: 200, fn: 'LINEAR_EXACT' } }), [0, 128, 191, 255]);
  assert.deepEqual(grey([0, 100, 1000], { window: { center: 100, width: 20, fn: 'SIGMOID' } }), [0, 128, 255]);
});

test('MONOCHROME1 is inverted after the VOI stage, so dense tissue stays white', () => {
  const window = { center: 50, width: 11, fn: 'LINEAR' as const };
  assert.deepEqual(grey([0, 45, 50, 55], { window, photometric: 'MONOCHROME1' }), [255, 242, 115, 0]);
});

test('rescale slope and intercept apply before the window', () => {
  // Stored 500 -> 2 * 500 - 1000 = 0 HU, the window centre; stored 300 -> -400 HU, below it.
  const window = { center: 0, width: 401, fn: 'LINEAR' as const };
  assert.deepEqual(grey([300, 500, 700], { window, rescaleSlope: 2, rescaleIntercept: -1000 }), [0, 128, 255]);
});

test('bits above Bits Stored are ignored and signed values are sign-extended', () => {
  const window = { center: 0, width: 4096, fn: 'LINEAR_EXACT' as const };
  const a = { window, bitsStored: 12, signed: true };
  // 0x0fff is -1 in 12-bit two's complement; 0x8000 is overlay garbage above bit 11 (= 0).
  assert.deepEqual(grey([0x0800, 0x0fff, 0x8000, 0x07ff], a), [0, 127, 128, 255]);
});

test('VOI LUT maps through its table, clamping below and above the mapped range', () => {
  const voiLut = { firstMapped: 10, bits: 8, data: Uint16Array.from([0, 100, 255]) };
  // The LUT wins over a window in the same file.
  const window = { center: 0, width: 2, fn: 'LINEAR' as const };
  assert.deepEqual(grey([5, 10, 11, 12, 99], { voiLut, window }), [0, 0, 100, 255, 255]);
});

test('with no VOI, deep data are stretched from minimum to maximum', () => {
  assert.deepEqual(grey([1000, 2000, 3000], { bitsStored: 12 }), [0, 128, 255]);
  assert.deepEqual(grey([700, 700], {}), [0, 0], 'a flat image must not divide by zero');
});

test('with no VOI, plain 8-bit data are display-ready and kept as they are', () => {
  assert.deepEqual(grey([0, 7, 200, 255], { bitsAllocated: 8, bitsStored: 8 }), [0, 7, 200, 255]);
  assert.deepEqual(grey([10, 20, 30], { bitsAllocated: 8, bitsStored: 8 }), [10, 20, 30], 'not stretched to the full range');
  assert.deepEqual(grey([10, 20, 30], { bitsAllocated: 8, bitsStored: 8, rescaleIntercept: 5 }), [0, 128, 255], 'rescaled bytes are not');
});
