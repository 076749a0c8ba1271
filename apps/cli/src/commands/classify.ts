import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { OutOfScope } from '@pneumoscreen/contracts';
import { ImageDecodeError } from '@pneumoscreen/imaging';
import { intendedUseOf, loadModelVersion, plainView, scoreItems, ScopeGuard } from '@pneumoscreen/inference';
import { resolveModelDir } from '@pneumoscreen/model-format';
import { ExitCode, UsageError, commandAction } from '../program/action';
import type { CliIo } from '../program/io';

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

const Options = z.object({
  paths: z.array(z.string()).min(1),
  json: z.boolean().default(false),
  jsonl: z.boolean().default(false),
  model: z.string().optional(),
});

export function configureClassifyCommand(program: Command, io: CliIo): void {
  program
    .command('classify')
    .description('classify local image files or folders (no Redis or S3)')
    .argument('<paths...>', 'image files, or folders of them (any depth; hidden files left out)')
    .option('--json', 'print one JSON array of every row once all are classified')
    .option('--jsonl', 'print one JSON object a line, each as soon as its batch is classified (large folders)')
    .option('--model <dir>', 'version folder, or registry folder with CURRENT (default MODEL_DIR)')
    .addHelpText('after', '\nExits 1 when any file could not be classified (its row says why), 0 otherwise.\n')
    .action(commandAction(io, Options, classify));
}

/** `pneumoscreen classify <file|dir>... [--json | --jsonl] [--model DIR]`. */
async function classify(options: z.output<typeof Options>, io: CliIo): Promise<number> {
  if (options.json && options.jsonl) throw new UsageError('--json and --jsonl exclude each other');
  const files = (await Promise.all(options.paths.map((p) => expand(resolve(p))))).flat();
  if (files.length === 0) throw new Error('no files found');
  const config = io.config();
  const dir = await resolveModelDir(options.model ?? config.worker.modelDir);
  const { manifest, engine } = await loadModelVersion(dir, { engine: config.worker.engine, threads: config.worker.engineThreads });
  const rows: Row[] = [];
  const plain = !options.json && !options.jsonl;
  try {
    const scope = {
      use: intendedUseOf(manifest),
      guard: await ScopeGuard.load(dir),
      verdicts: new Array<OutOfScope | null>(files.length).fill(null),
      flags: new Array<OutOfScope | null>(files.length).fill(null),
    };
    const errors = new Map<string, string>();
    const view = plainView(manifest);
    const rowOf = (j: number, probability: number | null | undefined): Row => {
      const file = files[j]!;
      const outOfScope = scope.verdicts[j];
      if (outOfScope) return { file, label: 'NOT_ASSESSED', outOfScope, modelVersion: manifest.version };
      if (probability === null || probability === undefined)
        return { file, modelVersion: manifest.version, error: errors.get(file) ?? 'not a readable image' };
      const flag = scope.flags[j];
      return {
        file,
        probability,
        label: probability >= manifest.threshold ? 'PNEUMONIA' : 'NORMAL',
        ...(flag ? { scopeFlag: flag } : {}),
        modelVersion: manifest.version,
      };
    };
    await scoreItems(engine, files, {
      read: (f) => readImage(f, config.worker.maxImageBytes).catch((e: Error) => (errors.set(f, `cannot read: ${e.message}`), null)),
      name: (f) => f,
      views: [(bytes) => view(bytes)],
      skipUndecodable: true,
      onSkip: (f, err: ImageDecodeError) => errors.set(f, err.message),
      scope,
      onBatch: (scores, done) => {
        // Rows before `done` are final: --jsonl hands each batch on as it is ready.
        for (let j = rows.length; j < done; j++) {
          rows.push(rowOf(j, scores[j]));
          if (options.jsonl) io.out(JSON.stringify(rows[j]) + '\n');
        }
      },
      onProgress: (done, total) => plain && io.err(`\rclassified ${done}/${total}`),
    });
  } finally {
    await engine.dispose();
  }
  if (options.json) {
    io.out(JSON.stringify(rows, null, 2) + '\n');
  } else if (plain) {
    io.err('\n');
    for (const r of rows) {
      const what = r.error
        ? `error: ${r.error}`
        : r.outOfScope
          ? `NOT_ASSESSED out of scope: ${r.outOfScope.reason} (score ${r.outOfScope.score})`
          : `${r.label!.padEnd(9)} P(pneumonia)=${r.probability!.toFixed(4)}${r.scopeFlag ? `  (flagged: ${r.scopeFlag.reason}, score ${r.scopeFlag.score})` : ''}`;
      io.out(`${r.file}  ${what}\n`);
    }
    io.out(`model ${manifest.name}@${manifest.version}, threshold ${manifest.threshold.toFixed(4)}\n`);
  }
  return rows.some((r) => r.error) ? ExitCode.failed : ExitCode.ok;
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
