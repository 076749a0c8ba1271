import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpuMsPerItem, parseProcStat, processTreeCpu, type ProcessCpu } from './process-cpu';

test('utime and stime are read after the command name, whatever it holds', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const stat = '4242 (node (worker) 1) S 17 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 11 0';
  assert.deepEqual(parseProcStat(stat, 100), { parent: 17, cpuSeconds: 3 });
  assert.throws(() => parseProcStat('4242 (x) S', 100), /unexpected \/proc stat line/);
});

test('CPU per item adds up processes of one role and leaves out those not seen twice', () => {
  const p = (pid: number, command: string, cpuSeconds: number): ProcessCpu => ({ pid, parent: 1, command, cpuSeconds });
  const before = [p(1, 'bench', 1), p(2, 'worker a', 10), p(3, 'worker b', 20), p(4, 'gone', 5)];
  const after = [p(1, 'bench', 1.5), p(2, 'worker a', 12), p(3, 'worker b', 21), p(5, 'new', 9)];
  const role = (x: ProcessCpu) => x.command.split(' ')[0]!;
  assert.deepEqual(cpuMsPerItem(before, after, 100, role), { bench: 5, worker: 30 });
});

test('on Linux the tree holds this process and a child it started', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const tree = processTreeCpu();
    assert.ok(tree.some((x) => x.pid === process.pid && x.cpuSeconds > 0));
    assert.ok(tree.some((x) => x.pid === child.pid && x.parent === process.pid && /setTimeout/.test(x.command)));
    assert.ok(tree.every((x) => x.pid === process.pid || x.parent === process.pid || tree.some((y) => y.pid === x.parent)));
  } finally {
    child.kill();
  }
});
