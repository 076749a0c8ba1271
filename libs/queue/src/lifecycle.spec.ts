import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FatalSignal, Readiness, closeOnFatal } from './lifecycle';

test('a fatal signal is heard once, by listeners added before and after it was raised', () => {
  const fatal = new FatalSignal();
  const heard: string[] = [];
  fatal.onRaised((e) => heard.push(`early: ${e.message}`));
  fatal.raise(new Error('engine broken'));
  fatal.raise(new Error('again'));
  fatal.onRaised((e) => heard.push(`late: ${e.message}`));
  assert.deepEqual(heard, ['early: engine broken', 'late: engine broken']);
  assert.equal(fatal.raised?.message, 'engine broken');
});

test('readiness waits for what it was given, stays unready if that rejects, and ends with a fatal signal', async () => {
  const fatal = new FatalSignal();
  const readiness = new Readiness(fatal);
  let warm!: () => void;
  readiness.waitFor('model', new Promise<void>((resolve) => (warm = resolve)));
  readiness.waitFor('never', Promise.reject(new Error('cannot load')));
  assert.equal(readiness.ready, false);
  warm();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(readiness.waitingFor, ['never']);

  const other = new Readiness(fatal);
  assert.equal(other.ready, true, 'nothing to wait for');
  fatal.raise(new Error('engine broken'));
  assert.equal(other.ready, false, 'no readiness once a fatal signal was raised');
});

test('on a fatal signal the app is closed first, then the process exits 1; a close that hangs is cut short', async () => {
  const events: string[] = [];
  const fatal = new FatalSignal();
  let exited!: () => void;
  const done = new Promise<void>((r) => (exited = r));
  closeOnFatal(
    fatal,
    { close: async () => void events.push('closed') },
    { log: (l) => events.push(l), exit: (code) => (events.push(`exit ${code}`), exited()) },
  );
  fatal.raise(new Error('engine broken'));
  await done;
  assert.deepEqual(events, ['engine broken; closing the pools before exiting', 'closed', 'closed; exiting 1', 'exit 1']);

  const hung = new FatalSignal();
  const codes: number[] = [];
  closeOnFatal(
    hung,
    { close: () => new Promise<void>(() => undefined) },
    { log: () => undefined, exit: (code) => codes.push(code), closeMs: 20 },
  );
  hung.raise(new Error('hung'));
  // The bound's own timer does not hold the process open (it is unref'd); this one does.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(codes, [1]);
});
