import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@pneumoscreen/config';
import { ImageDecodeError, preprocess } from '@pneumoscreen/imaging';
import { loadModelVersion, resolveModelDir } from '@pneumoscreen/model';

const IMAGE = /\.(jpe?g|png|dcm)$/i;
const BATCH = 16;

interface Row {
  file: string;
  probability?: number;
  label?: 'NORMAL' | 'PNEUMONIA';
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
  if (files.length === 0) throw new Error('no .jpg, .jpeg, .png or .dcm files found');
  const config = loadConfig();
  const { manifest, engine } = await loadModelVersion(await resolveModelDir(values.model ?? config.worker.modelDir), { engine: config.worker.engine, threads: config.worker.engineThreads });
  const rows: Row[] = [];
  try {
    for (let i = 0; i < files.length; i += BATCH) {
      const chunk = files.slice(i, i + BATCH);
      const inputs = await Promise.all(chunk.map((f) => readFile(f).then((b) => preprocess(b, manifest.preprocessing)).catch((e: Error) => e)));
      const ok = inputs.filter((x): x is Float32Array => x instanceof Float32Array);
      const probs = ok.length ? await engine.predict(concat(ok), ok.length) : new Float32Array();
      let k = 0;
      chunk.forEach((file, j) => {
        const x = inputs[j];
        if (x instanceof Float32Array) {
          const probability = probs[k++];
          rows.push({ file, probability, label: probability >= manifest.threshold ? 'PNEUMONIA' : 'NORMAL', modelVersion: manifest.version });
        } else {
          rows.push({ file, modelVersion: manifest.version, error: x instanceof ImageDecodeError ? x.message : `cannot read: ${x.message}` });
        }
      });
      if (!values.json) process.stderr.write(`\rclassified ${Math.min(i + BATCH, files.length)}/${files.length}`);
    }
  } finally {
    await engine.dispose();
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  } else {
    process.stderr.write('\n');
    for (const r of rows) {
      const what = r.error ? `error: ${r.error}` : `${r.label!.padEnd(9)} P(pneumonia)=${r.probability!.toFixed(4)}`;
      process.stdout.write(`${r.file}  ${what}\n`);
    }
    process.stdout.write(`model ${manifest.name}@${manifest.version}, threshold ${manifest.threshold.toFixed(4)}\n`);
  }
  return rows.some((r) => r.error) ? 1 : 0;
}

async function expand(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new Error(`no such file or folder: ${path}`);
  if (s.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries.sort((a, b) => a.name.localeCompare(b.name)).map((e) => (e.isDirectory() ? expand(join(path, e.name)) : Promise.resolve(IMAGE.test(e.name) ? [join(path, e.name)] : []))),
  );
  return nested.flat();
}

function concat(xs: Float32Array[]): Float32Array {
  const out = new Float32Array(xs.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of xs) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}
