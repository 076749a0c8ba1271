import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The monorepo root: the nearest folder above this file whose package.json is pneumoscreen's,
 * so tests find it from any dist folder, however deep. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (isRepoRoot(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`no pneumoscreen package.json above ${__dirname}`);
  }
}

/** Fixtures shared between checkouts (peer cases, images, models). A developer's sit beside the
 * repo; a copy of the tree that travels alone (a device machine, CI) carries them inside it. */
export function sharedDir(): string {
  const root = repoRoot();
  const candidates = [resolve(root, '..', 'shared'), resolve(root, 'shared')];
  const found = candidates.find((dir) => existsSync(join(dir, 'peer-cases')));
  if (!found) throw new Error(`no shared fixtures: neither ${candidates.join(' nor ')} holds peer-cases/`);
  return found;
}

function isRepoRoot(dir: string): boolean {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'pneumoscreen';
  } catch {
    return false;
  }
}
