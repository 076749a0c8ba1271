import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import type { OutOfScope } from '@pneumoscreen/contracts';
import { ImageDecodeError } from '@pneumoscreen/imaging';
import { intendedUseOf, loadModelVersion, resolveModelDir, ScopeGuard } from '@pneumoscreen/model';
import { plainView, scoreItems } from './scoring';

interface Row {
  file: string;
  probability?: number;
  /** NOT_ASSESSED: outside the version's intended use (see outOfScope), as workers decide it. */
  label?: 'NORMAL' | 'PNEUMONIA' | 'NOT_ASSESSED';
  outOfScope?: OutOfScope;
  /** Assessed, but unlike most training films: read with care. */
  scopeFlag?: OutOfScope;
  modelVersion: string;
  error?: string;
}

/** `pneumoscreen classify <file|dir>... [--json] [--model DIR]`: local files, no Redis or S3. */
export async function classifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, model: { type: 'string' } },
  });
  if (positionals.length === 0) throw new Error('classify needs at least one file or folder');
  const files = (await Promise.all(positionals.map((p) => expand(resolve(p))))).flat();
  if (files.length === 0) throw new Error('no files found');
  const config = loadConfig();
  const dir = await resolveModelDir(values.model ?? config.worker.modelDir);
  const { manifest, engine } = await loadModelVersion(dir, { engine: config.worker.engine, threads: config.worker.engineThreads });
  const rows: Row[] = [];
  try {
    const scope = { use: intendedUseOf(manifest), guard: await ScopeGuard.load(dir), verdicts: new Array<OutOfScope | null>(files.length).fill(null), flags: new Array<OutOfScope | null>(files.length).fill(null) };
    const errors = new Map<string, string>();
    const view = plainView(manifest);
    const probs = await scoreItems(engine, files, {
      read: (f) => readImage(f, config.worker.maxImageBytes).catch((e: Error) => (errors.set(f, `cannot read: ${e.message}`), null)),
      name: (f) => f,
      views: [(bytes) => view(bytes)],
      skipUndecodable: true,
      onSkip: (f, err: ImageDecodeError) => errors.set(f, err.message),
      scope,
      onProgress: (done, total) => values.json || process.stderr.write(`\rclassified ${done}/${total}`),
    });
    files.forEach((file, j) => {
      const probability = probs[j];
      const outOfScope = scope.verdicts[j];
      if (outOfScope) rows.push({ file, label: 'NOT_ASSESSED', outOfScope, modelVersion: manifest.version });
      else if (probability !== null && probability !== undefined) {
        const flag = scope.flags[j];
        rows.push({ file, probability, label: probability >= manifest.threshold ? 'PNEUMONIA' : 'NORMAL', ...(flag ? { scopeFlag: flag } : {}), modelVersion: manifest.version });
      }
      else rows.push({ file, modelVersion: manifest.version, error: errors.get(file) ?? 'not a readable image' });
    });
  } finally {
    await engine.dispose();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  } else {
    process.stderr.write('\n');
    for (const r of rows) {
      const what = r.error ? `error: ${r.error}` : r.outOfScope ? `NOT_ASSESSED out of scope: ${r.outOfScope.reason} (score ${r.outOfScope.score})` : `${r.label!.padEnd(9)} P(pneumonia)=${r.probability!.toFixed(4)}${r.scopeFlag ? `  (flagged: ${r.scopeFlag.reason}, score ${r.scopeFlag.score})` : ''}`;
      process.stdout.write(`${r.file}  ${what}\n`);
    }
    process.stdout.write(`model ${manifest.name}@${manifest.version}, threshold ${manifest.threshold.toFixed(4)}\n`);
  }
  return rows.some((r) => r.error) ? 1 : 0;
}

/**
 * A file named is taken as it is; a folder gives every file in it and its sub-folders but hidden
 * ones (`.DS_Store`, `._*`), whatever their names: the reader goes by content, so a DICOM file
 * without an extension (as PACS exports name them) is classified, and a HEIC, TIFF or anything
 * else gets a row saying it is not supported, never silently left out.
 */
async function expand(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new Error(`no such file or folder: ${path}`);
  if (!s.isDirectory()) return [path];
  const entries = (await readdir(path, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const nested = await Promise.all(entries.sort((a, b) => a.name.localeCompare(b.name)).map((e) => expand(join(path, e.name))));
  return nested.flat();
}

/** The file's bytes, refused unread above the size workers refuse (MAX_IMAGE_BYTES). */
async function readImage(file: string, maxBytes: number): Promise<Buffer> {
  const { size } = await stat(file);
  if (size > maxBytes) throw new Error(`file has ${size} bytes, more than MAX_IMAGE_BYTES (${maxBytes})`);
  return readFile(file);
}
