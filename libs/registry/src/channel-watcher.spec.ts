import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelPointer } from '@pneumoscreen/contracts';
import { ChannelWatcher, type ChannelSnapshot } from './channel-watcher';

const pointer = (version: string): ChannelPointer => ({ version, updatedAt: '2025-01-01T00:00:00.000Z', previousVersion: null });

function fakeRegistry(initial: Record<string, ChannelPointer>) {
  const channels = new Map(Object.entries(initial));
  let reads = 0;
  return {
    channels,
    reads: () => reads,
    getChannel: async (c: string) => {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      return channels.get(c) ?? null;
    },
  };
}

test('a notice makes the watcher re-read and report the change once; a burst of notices reads once more', async () => {
  const registry = fakeRegistry({ production: pointer('A') });
  let notify!: () => void;
  const changes: Array<[ChannelSnapshot, ChannelSnapshot]> = [];
  const watcher = new ChannelWatcher(registry, {
    channels: ['production', 'canary'],
    pollMs: 0,
    subscribe: async (onNotice) => ((notify = onNotice), async () => undefined),
    onChange: (now, before) => void changes.push([now, before]),
    onError: (e) => assert.fail(e),
  });
  assert.deepEqual(await watcher.start(), { production: pointer('A'), canary: null });
  registry.channels.set('production', pointer('B'));
  const readsBefore = registry.reads();
  notify();
  notify();
  notify();
  const now = await watcher.refresh();
  assert.deepEqual(now, { production: pointer('B'), canary: null });
  assert.deepEqual(changes, [
    [
      { production: pointer('B'), canary: null },
      { production: pointer('A'), canary: null },
    ],
  ]);
  assert.ok(registry.reads() - readsBefore <= 4, `two re-reads of two channels at most, got ${registry.reads() - readsBefore} reads`);
  await watcher.refresh();
  assert.equal(changes.length, 1, 'an unchanged re-read reports nothing');
  await watcher.stop();
});

test('polling finds a change nobody announced, and read errors go to onError', async () => {
  const registry = fakeRegistry({ production: pointer('A') });
  const errors: Error[] = [];
  const changes: ChannelSnapshot[] = [];
  const watcher = new ChannelWatcher(registry, {
    channels: ['production'],
    pollMs: 20,
    onChange: (now) => void changes.push(now),
    onError: (e) => errors.push(e),
  });
  await watcher.start();
  const getChannel = registry.getChannel;
  registry.getChannel = async () => {
    throw new Error('S3 down');
  };
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(errors.some((e) => e.message === 'S3 down'));
  registry.getChannel = getChannel;
  registry.channels.set('production', pointer('B'));
  // The poll timer is unref'd, as it should be in an app; this wait keeps the test alive.
  for (let i = 0; i < 100 && changes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(changes, [{ production: pointer('B') }]);
  assert.equal(watcher.current?.['production']?.version, 'B');
  await watcher.stop();
});
