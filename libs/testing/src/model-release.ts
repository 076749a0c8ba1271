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

/**
 * The fields of a model manifest for a test's stand-in model: a tfjs-layers MobileNet classifier of
 * `inputSize` pixels a side, NORMAL against PNEUMONIA at 0.5; `fields` replace any of them. Plain
 * data, for ModelManifest.parse (this package imports no other).
 */
export function manifestFields(inputSize: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test',
    version: 'v1',
    architecture: 'mobilenet_v1_0.75',
    format: 'tfjs-layers',
    preprocessing: { mode: 'mobilenet', inputSize: [inputSize, inputSize], channels: 3 },
    classes: ['NORMAL', 'PNEUMONIA'],
    threshold: 0.5,
    codeVersion: 'test',
    createdAt: new Date(0).toISOString(),
    ...fields,
  };
}
