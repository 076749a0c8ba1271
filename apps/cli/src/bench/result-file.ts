import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `<dir>/<base>.json`, or `<base>-2.json`, `-3`... where earlier runs took those names:
 * a second run on the same day must not destroy the first, which may be the only one from a
 * host. Returns the path written.
 */
export async function writeNewResult(dir: string, base: string, text: string): Promise<string> {
  for (let n = 1; ; n++) {
    const file = join(dir, `${base}${n > 1 ? `-${n}` : ''}.json`);
    try {
      await writeFile(file, text, { flag: 'wx' });
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
