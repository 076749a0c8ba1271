import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeMachine } from './machine';

const ZEN5 = `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni\n`;

test('names the CPU generation, its widest SIMD and its int8 unit from /proc/cpuinfo', () => {
  const m = describeMachine(ZEN5);
  assert.equal(m.cpuId, 'AMD family 26 model 2');
  assert.equal(m.simd, 'avx512f');
  assert.equal(describeMachine(ZEN5.replace(' avx512f avx512_vnni', '')).simd, 'avx2');
  assert.equal(m.int8, 'vnni');
  assert.equal(describeMachine(ZEN5.replace(' avx512f avx512_vnni', '')).int8, 'none');
  assert.equal(describeMachine(ZEN5.replace('avx512_vnni', 'avx512_vnni amx_int8')).int8, 'amx');
});

test('without /proc/cpuinfo it still reports cores and Node', () => {
  const m = describeMachine(null);
  assert.ok(m.cpus >= 1);
  assert.equal(m.simd, undefined);
  assert.equal(m.node, process.version);
});
