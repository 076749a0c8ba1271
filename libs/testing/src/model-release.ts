import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths';

/**
 * A private copy of the committed release (the version `models/releases/CURRENT` names), with the
 * same weights; `as` gives it another version id and threshold in its manifest, so tests can
 * publish several versions whose results are told apart by version and threshold.
 */
export async function copyRelease(
  as: { version?: string; threshold?: number } = {},
): Promise<{ dir: string; version: string; threshold: number }> {
  const releases = join(repoRoot(), 'models/releases');
  const current = (await readFile(join(releases, 'CURRENT'), 'utf8')).trim();
  const version = as.version ?? current;
  const dir = join(await mkdtemp(join(tmpdir(), 'release-')), version);
  await cp(join(releases, current), dir, { recursive: true });
  const manifestFile = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { version: string; threshold: number };
  manifest.version = version;
  manifest.threshold = as.threshold ?? manifest.threshold;
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
  return { dir, version, threshold: manifest.threshold };
}
