import { execFileSync } from 'node:child_process';

/** The commit the code in `dir` came from, "+dirty" when the working tree differs from it;
 * "unknown" outside a git checkout (an image built without .git). */
export function codeVersion(dir: string): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return git(['rev-parse', 'HEAD']) + (git(['status', '--porcelain']) ? '+dirty' : '');
  } catch {
    return 'unknown';
  }
}
