// Which folders of this checkout a worker needs at run time: its workspace packages (built output
// only) and the production packages they load, resolved the way Node resolves them, so nested
// copies (libs/model/node_modules/onnxruntime-node) come along where they are.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Packages for another OS or CPU, which npm installs only when asked; never loaded on linux-x64. */
const OTHER_PLATFORM =
  /-(darwin|win32|android|freebsd|openbsd|sunos|aix|wasm32)(-|$)|-linux-(arm|arm64|ia32|ppc64|s390x|riscv64|loong64)(-|$)|-linuxmusl-|-musl$/;

/**
 * The workspace packages `entry` (a workspace folder) depends on, itself included, and the
 * external packages they need: a package folder (real path) for each, by its path relative to
 * `root`. A workspace's external needs are its own `dependencies` plus the root package's
 * dependencies that its built JavaScript requires (the root holds the shared ones).
 */
export function collectPackages(root, entry) {
  const rootDeps = Object.keys(readJson(join(root, 'package.json')).dependencies ?? {});
  const workspaces = new Map();
  const pending = [realpathSync(join(root, entry))];
  while (pending.length > 0) {
    const dir = pending.pop();
    const pkg = readJson(join(dir, 'package.json'));
    if (workspaces.has(pkg.name)) continue;
    workspaces.set(pkg.name, dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const found = resolvePackage(dep, dir, root);
      if (found && !found.includes(`${sep}node_modules${sep}`)) pending.push(found);
    }
  }
  const external = new Map();
  const walk = (name, fromDir) => {
    if (OTHER_PLATFORM.test(name)) return;
    const dir = resolvePackage(name, fromDir, root);
    if (!dir || external.has(dir) || [...workspaces.values()].includes(dir)) return;
    external.set(dir, name);
    const pkg = readJson(join(dir, 'package.json'));
    const needs = { ...pkg.optionalDependencies, ...pkg.dependencies };
    // A peer dependency is the host's to install; it is needed when the host has it.
    for (const peer of Object.keys(pkg.peerDependencies ?? {})) if (resolvePackage(peer, dir, root)) needs[peer] = '*';
    for (const dep of Object.keys(needs)) walk(dep, dir);
  };
  for (const [name, dir] of workspaces) {
    const own = Object.keys(readJson(join(dir, 'package.json')).dependencies ?? {}).filter((d) => !workspaces.has(d));
    const required = requiredNames(join(dir, 'dist'));
    for (const dep of [...own, ...rootDeps.filter((d) => required.has(d))]) walk(dep, dir);
    if (!name) throw new Error(`${dir}: package without a name`);
  }
  return {
    workspaces: [...workspaces.entries()].map(([name, dir]) => ({ name, path: relative(root, dir) })),
    external: [...external.entries()].map(([dir, name]) => ({ name, path: relative(root, dir) })),
  };
}

/** Node's lookup of package `name` from folder `from`: each node_modules up to `root`. */
function resolvePackage(name, from, root) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Package names the non-test JavaScript under `dir` requires. */
function requiredNames(dir) {
  const names = new Set();
  const visit = (d) => {
    for (const entry of readdirSync(d)) {
      const file = join(d, entry);
      if (statSync(file).isDirectory()) visit(file);
      else if (file.endsWith('.js') && !/\.(spec|medium-spec|e2e-spec)\.js$/.test(file)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/require\("((?:@[^"/]+\/)?[^"./][^"/]*)/g)) names.add(m[1]);
      }
    }
  };
  if (existsSync(dir)) visit(dir);
  return names;
}
