import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readManifest, resolveModelDir } from './manifest';

async function registry(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'registry-'));
  await mkdir(path.join(dir, 'v1'));
  await writeFile(path.join(dir, 'v1', 'manifest.json'), '{}');
  return dir;
}

test('a version folder resolves to itself', async () => {
  const dir = await registry();
  assert.equal(await resolveModelDir(path.join(dir, 'v1')), path.join(dir, 'v1'));
});

test('a registry folder resolves through CURRENT', async () => {
  const dir = await registry();
  await writeFile(path.join(dir, 'CURRENT'), 'v1\n');
  assert.equal(await resolveModelDir(dir), path.join(dir, 'v1'));
});

test('CURRENT must name an existing version inside the registry', async () => {
  const dir = await registry();
  await assert.rejects(resolveModelDir(dir), /not a model version .* nor a registry/);
  await writeFile(path.join(dir, 'CURRENT'), '../v1');
  await assert.rejects(resolveModelDir(dir), /must hold a version folder name/);
  await writeFile(path.join(dir, 'CURRENT'), 'v2');
  await assert.rejects(resolveModelDir(dir), /names version "v2" but .* has no manifest.json/);
});

test('an invalid manifest is refused with the reason', async () => {
  const dir = await registry();
  await assert.rejects(readManifest(path.join(dir, 'v1')), /invalid .*manifest.json: .*name/s);
});
