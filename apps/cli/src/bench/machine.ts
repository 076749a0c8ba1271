import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Machine {
  cpus: number;
  cpu: string | undefined;
  /** e.g. "AMD family 26 model 2": hosts named alike ("AMD EPYC") differ by generations. */
  cpuId?: string;
  /** The widest float SIMD the CPU offers: CPU engines' peak scales with it. */
  simd?: 'avx512f' | 'avx2' | 'older';
  /** The fastest int8 matrix unit: int8 models' speed (and exactness at 8-bit weights) depend on it. */
  int8?: 'amx' | 'vnni' | 'none';
  node: string;
}

/** What the numbers of a benchmark run depend on. */
export function describeMachine(cpuinfo: string | null = readCpuinfo()): Machine {
  const machine: Machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  if (cpuinfo === null) return machine;
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim();
  const vendor = field('vendor_id')?.replace(/^Authentic|^Genuine/, '');
  const family = field('cpu family');
  const model = field('model');
  if (vendor && family && model) machine.cpuId = `${vendor} family ${family} model ${model}`;
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  machine.simd = flags.has('avx512f') ? 'avx512f' : flags.has('avx2') ? 'avx2' : 'older';
  machine.int8 = flags.has('amx_int8') ? 'amx' : flags.has('avx512_vnni') || flags.has('avx_vnni') ? 'vnni' : 'none';
  return machine;
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}
