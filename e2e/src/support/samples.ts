import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@pneumoscreen/testing';

/** The bundled sample X-rays (`samples/studies/*`), one per study folder, as bytes. */
export async function sampleXrays(): Promise<Buffer[]> {
  const dir = join(repoRoot(), 'samples/studies');
  return Promise.all((await readdir(dir)).map(async (study) => readFile(join(dir, study, (await readdir(join(dir, study)))[0]!))));
}
