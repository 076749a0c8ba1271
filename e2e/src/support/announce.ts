import assert from 'node:assert/strict';
import { sampleXrays } from './samples';
import type { E2eStack } from './stack';

export const IMAGES_PER_STUDY = 4;

/**
 * Announces an object as a store would while Redis is away: the event again every `retryMs` for
 * as long as ingest says 503 (it does until its connection is back), failing after a minute.
 */
export async function announce(stack: E2eStack, key: string, body: Buffer | string, retryMs: number): Promise<void> {
  const etag = await stack.put(key, body);
  for (let waited = 0; ; waited += retryMs) {
    const res = await stack.notify(key, etag);
    if (res.status === 200) return;
    assert.equal(res.status, 503, `ingest answered ${res.status} to the event for ${key}`);
    assert.ok(waited < 60_000, `ingest still answered 503 for ${key} after a minute`);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}

/** `studies` folders `incoming/<name>-<s>/` of IMAGES_PER_STUDY sample X-rays and a manifest, each announced. */
export async function uploadStudies(stack: E2eStack, name: string, studies: number, retryMs: number): Promise<void> {
  const xrays = await sampleXrays();
  for (let s = 0; s < studies; s++) {
    for (let i = 0; i < IMAGES_PER_STUDY; i++)
      await announce(stack, `incoming/${name}-${s}/${i}.jpeg`, xrays[(s + i) % xrays.length]!, retryMs);
    await announce(stack, `incoming/${name}-${s}/manifest.json`, '{}', retryMs);
  }
}
