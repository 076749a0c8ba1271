import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '@pneumoscreen/config';

export { repoRoot } from '@pneumoscreen/config';

/** Fixtures shared between checkouts (peer cases, images, models). A developer's sit beside the
 * repo; a copy of the tree that travels alone (a device machine, CI) carries them inside it. */
export function sharedDir(): string {
  const root = repoRoot();
  const candidates = [resolve(root, '..', 'shared'), resolve(root, 'shared')];
  const found = candidates.find((dir) => existsSync(join(dir, 'peer-cases')));
  if (!found) throw new Error(`no shared fixtures: neither ${candidates.join(' nor ')} holds peer-cases/`);
  return found;
}
