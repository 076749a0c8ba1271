#!/usr/bin/env node
// `npm run bundle [-- cpu|gpu ...] [--out DIR] [--no-compress]`: one archive per target that
// installs a worker on a linux-x64 host with Node 20.9+ and no network: the built worker and the
// libraries it loads, production packages only, native binaries for linux-x64 alone, the released
// model and a start script. The gpu target adds ONNX Runtime's CUDA provider (`gpu install`, so
// the building host needs the npm registry) and starts with ENGINE=onnxruntime-cuda.
// `--no-compress` writes a plain .tar (the e2e test's quick variant).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { collectPackages } from './bundle/collect.mjs';
import { startScript } from './bundle/start-script.mjs';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, 'no-compress': { type: 'boolean', default: false } },
});
const targets = positionals.length > 0 ? positionals : ['cpu', 'gpu'];
for (const t of targets) if (t !== 'cpu' && t !== 'gpu') fail(`unknown bundle target "${t}" (cpu or gpu)`);
if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(`bundles are for linux-x64 and are made on one; this is ${process.platform}-${process.arch}`);
if (!existsSync(join(root, 'apps/gpu-worker/dist/main.js'))) fail('apps/gpu-worker is not built: run `npm run build` first');
const out = resolve(values.out ?? join(root, 'bundles'));

/** Files no running worker reads: tests, types, source maps, TypeScript sources, build info. */
const JUNK = /(\.(spec|medium-spec|e2e-spec)\.js|\.d\.ts|\.d\.mts|\.d\.cts|\.map|\.tsbuildinfo|\.min\.js\.html|(?<!\.d)\.ts)$/;

for (const target of targets) {
  const name = `pneumoscreen-worker-${target}-linux-x64`;
  const stage = join(out, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const { workspaces, external } = collectPackages(root, 'apps/gpu-worker');
  for (const w of workspaces) {
    copyTree(join(root, w.path, 'package.json'), join(stage, w.path, 'package.json'));
    copyTree(join(root, w.path, 'dist'), join(stage, w.path, 'dist'));
    // Node finds workspace packages through node_modules, as npm links them in the checkout.
    const link = join(stage, 'node_modules', w.name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(stage, w.path)), link);
  }
  for (const p of external) copyTree(join(root, p.path), join(stage, p.path));
  const current = readFileSync(join(root, 'models/releases/CURRENT'), 'utf8').trim();
  copyTree(join(root, 'models/releases/CURRENT'), join(stage, 'models/releases/CURRENT'));
  copyTree(join(root, 'models/releases', current), join(stage, 'models/releases', current));
  const ortDir = external.find((p) => p.name === 'onnxruntime-node');
  if (!ortDir) fail('the worker loads no onnxruntime-node: nothing to bundle its engine from');
  if (target === 'gpu') installCudaProvider(join(stage, ortDir.path));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  writeFileSync(
    join(stage, 'package.json'),
    `${JSON.stringify({ name, version, private: true, description: `pneumoscreen ${target} worker for linux-x64, model ${current}` }, null, 2)}\n`,
  );
  writeFileSync(join(stage, 'start.sh'), startScript(target));
  chmodSync(join(stage, 'start.sh'), 0o755);
  const archive = join(out, `${name}.tar${values['no-compress'] ? '' : '.gz'}`);
  run('tar', ['-C', out, values['no-compress'] ? '-cf' : '-czf', archive, name]);
  const unpacked = run('du', ['-sb', stage]).split('\t')[0];
  rmSync(stage, { recursive: true, force: true });
  console.log(
    `${archive}: ${mb(statSync(archive).size)} (unpacked ${mb(Number(unpacked))}; ${workspaces.length} workspace packages, ${external.length} packages, model ${current})`,
  );
}

/** Copies a file or folder, leaving out JUNK, nested node_modules (each package is copied on its
 * own) and onnxruntime-node's binaries for every platform but linux-x64. */
function copyTree(from, to) {
  const base = from;
  cpSync(from, to, {
    recursive: true,
    dereference: false,
    filter: (src) => {
      const rel = relative(base, src);
      if (rel === '') return true;
      if (rel.split(sep).includes('node_modules')) return false;
      const native = /(?:^|\/)bin\/napi-v\d+\/(.+)$/.exec(rel.split(sep).join('/'));
      if (native && native[1] !== 'linux' && !/^linux\/x64(\/|$)/.test(native[1])) return false;
      return !JUNK.test(src);
    },
  });
}

/** The repository's own `pneumoscreen gpu install`, pointed at the bundle's onnxruntime-node. The
 * CUDA folders it records are the building host's: dropped, since start.sh finds the target's. */
function installCudaProvider(ortDir) {
  const cli = join(root, 'apps/cli/bin/pneumoscreen.js');
  const r = spawnSync(process.execPath, [cli, 'gpu', 'install', '--onnxruntime-dir', ortDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail('gpu install failed (above)');
  const recordFile = join(ortDir, 'bin/napi-v6/linux/x64/pneumoscreen-cuda-provider.json');
  writeFileSync(recordFile, `${JSON.stringify({ ...JSON.parse(readFileSync(recordFile, 'utf8')), libraryDirs: [] }, null, 2)}\n`);
}

function run(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) fail(`${command} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}
