import { resolve } from 'node:path';

/** The repository root, seen from this package's build output (libs/config/dist): where the
 * default model, cache and training folders are. The one place any package finds it. */
export function repoRoot(): string {
  return resolve(__dirname, '../../..');
}

/** A path inside the repository, e.g. `repoPath('models/releases')`. */
export function repoPath(relative: string): string {
  return resolve(repoRoot(), relative);
}
