import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** CPU seconds (user + system, all threads) a process has used so far, and its command line. */
export interface ProcessCpu {
  pid: number;
  parent: number;
  command: string;
  cpuSeconds: number;
}

/** Fields 14 and 15 of /proc/<pid>/stat (utime, stime), in clock ticks. The command name in
 * field 2 may hold spaces and parentheses, so fields are counted from its closing one. */
export function parseProcStat(stat: string, ticksPerSecond: number): { parent: number; cpuSeconds: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [parent, utime, stime] = [fields[1], fields[11], fields[12]].map(Number);
  if (![parent, utime, stime].every(Number.isFinite)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 80)}`);
  return { parent, cpuSeconds: (utime + stime) / ticksPerSecond };
}

let ticks: number | undefined;
function ticksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** This process and every process below it, from /proc; empty where there is no /proc. */
export function processTreeCpu(root = process.pid): ProcessCpu[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const all = new Map<number, ProcessCpu>();
  for (const d of pids) {
    try {
      const { parent, cpuSeconds } = parseProcStat(readFileSync(`/proc/${d}/stat`, 'utf8'), ticksPerSecond());
      const command = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
      all.set(Number(d), { pid: Number(d), parent, command, cpuSeconds });
    } catch {
      // Gone between the listing and the read.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all.values()) {
      if (tree.has(p.pid) || !tree.has(p.parent)) continue;
      tree.add(p.pid);
      grew = true;
    }
  }
  return [...all.values()].filter((p) => tree.has(p.pid));
}

/** CPU milliseconds per item of each role between two snapshots; `roleOf` names a process's role
 * from its command line. Processes that started or ended in between count only what both saw. */
export function cpuMsPerItem(before: ProcessCpu[], after: ProcessCpu[], items: number, roleOf: (p: ProcessCpu) => string): Record<string, number> {
  const start = new Map(before.map((p) => [p.pid, p.cpuSeconds]));
  const out: Record<string, number> = {};
  for (const p of after) {
    const was = start.get(p.pid);
    if (was === undefined) continue;
    const role = roleOf(p);
    out[role] = (out[role] ?? 0) + ((p.cpuSeconds - was) * 1000) / items;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
