import { resolve } from 'node:path';

/** The repository root, seen from this package's build output (libs/config/dist): where the
 * default model, cache and training folders are. */
export function repoPath(relative: string): string {
  return resolve(__dirname, '../../..', relative);
}
