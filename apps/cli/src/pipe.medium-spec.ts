import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '@pneumoscreen/testing';

const main = path.join(repoRoot(), 'apps/cli/dist/main.js');
/** Rows of about 200 bytes: some 600 KB of JSON, nine times a Linux pipe's 64 KiB buffer. */
const FILES = 3000;

/**
 * Runs the CLI with stdout on a pipe; `slow` leaves it unread for a while, as a slow `jq` or
 * `less` would: a CLI that exits before its output has drained loses all past the pipe's buffer.
 */
async function throughPipe(args: string[], { slow }: { slow: boolean }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: repoRoot(),
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (slow) child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Until the child has written all its rows (a CLI that does not wait for the pipe exits by then):
  // it has had to queue what the full pipe refused.
  if (slow) await Promise.race([exited, sleep(6_000)]);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stdout.resume();
  await new Promise((resolve) => child.stdout.once('end', resolve));
  return { code: await exited, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
}

describe('CLI output survives a pipe', () => {
  let dir: string;

  before(async () => {
    // Files that are not images: every one gets an error row, with no model time spent on it.
    dir = await mkdtemp(path.join(tmpdir(), 'cli-pipe-'));
    await mkdir(path.join(dir, 'not-images'));
    await Promise.all(
      Array.from({ length: FILES }, (_, i) =>
        writeFile(path.join(dir, 'not-images', `note-${String(i).padStart(5, '0')}-of-a-folder-full-of-them.txt`), 'not an image\n'),
      ),
    );
  });

  test('classify --json arrives whole through a pipe read late: hundreds of KB of one JSON array', async () => {
    const { code, stdout, stderr } = await throughPipe(['classify', dir, '--json'], { slow: true });
    assert.ok(stdout.length > 8 * 65_536, `${stdout.length} bytes: ${stderr}`);
    const rows = JSON.parse(stdout) as Array<{ file: string; error?: string }>;
    assert.equal(rows.length, FILES);
    assert.ok(
      rows.every((r) => r.error),
      'every row says why its file was not classified',
    );
    assert.equal(code, 1, 'files that could not be classified exit 1');
  });

  test('classify --jsonl gives one whole JSON object a line, in file order', async () => {
    const { code, stdout } = await throughPipe(['classify', dir, '--jsonl'], { slow: false });
    const lines = stdout.split('\n');
    assert.equal(lines.pop(), '', 'the last line ends with a newline');
    assert.equal(lines.length, FILES);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { file: string }).file),
      [...lines.keys()].map((i) => path.join(dir, 'not-images', `note-${String(i).padStart(5, '0')}-of-a-folder-full-of-them.txt`)),
    );
    assert.equal(code, 1);
  });
});
