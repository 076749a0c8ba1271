import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';

/** Where to look for shared libraries; `root` lets a test stand in a folder tree for `/`. */
export interface LibrarySearch {
  /** Read for LD_LIBRARY_PATH. */
  env?: NodeJS.ProcessEnv;
  root?: string;
  /** Searched after LD_LIBRARY_PATH and before the system's folders. */
  extraDirs?: readonly string[];
}

/**
 * The folders the dynamic loader searches for a library named without a path, in its order:
 * LD_LIBRARY_PATH, the folders /etc/ld.so.conf lists (and the files it includes), then glibc's
 * own defaults; `extraDirs` after LD_LIBRARY_PATH. Missing folders are dropped.
 */
export function librarySearchDirs(search: LibrarySearch = {}): string[] {
  const root = search.root ?? '/';
  const env = search.env ?? process.env;
  const fromEnv = (env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== '');
  const system = [...ldSoConfDirs(path.join(root, 'etc/ld.so.conf'), root, 0), '/lib64', '/usr/lib64', '/lib', '/usr/lib'].map((d) =>
    path.join(root, d),
  );
  const dirs = [...fromEnv, ...(search.extraDirs ?? []), ...system];
  return [...new Set(dirs)].filter((d) => existsSync(d));
}

/** The folders an ld.so.conf names, following `include` lines (globs of one `*`, as Debian's are). */
function ldSoConfDirs(file: string, root: string, depth: number): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (!include) {
      dirs.push(line);
      continue;
    }
    if (depth > 4) continue;
    for (const pattern of include[1]!.split(/\s+/))
      dirs.push(...expandGlob(path.join(root, pattern)).flatMap((f) => ldSoConfDirs(f, root, depth + 1)));
  }
  return dirs;
}

function expandGlob(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (!base.includes('*')) return [pattern];
  const re = new RegExp(
    `^${base
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  try {
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** The `lib` folders that NVIDIA's Python wheels (nvidia-cublas, nvidia-cudnn-cu13, ...) unpack
 * under each site-packages folder: `nvidia/<component>/lib`, and `nvidia/cu13/lib` for CUDA 13's. */
export function nvidiaWheelDirs(sitePackages: readonly string[]): string[] {
  const dirs: string[] = [];
  for (const site of sitePackages) {
    const nvidia = path.join(site, 'nvidia');
    let components: string[];
    try {
      components = readdirSync(nvidia).sort();
    } catch {
      continue;
    }
    for (const c of components) if (existsSync(path.join(nvidia, c, 'lib'))) dirs.push(path.join(nvidia, c, 'lib'));
  }
  return dirs;
}

/** Where each library file is found first in `dirs`, and which are found nowhere. */
export function findLibraries(files: readonly string[], dirs: readonly string[]): { found: Map<string, string>; missing: string[] } {
  const found = new Map<string, string>();
  for (const file of files) {
    const dir = dirs.find((d) => existsSync(path.join(d, file)));
    if (dir !== undefined) found.set(file, path.join(dir, file));
  }
  return { found, missing: files.filter((f) => !found.has(f)) };
}

/** glibc's RTLD_NODELETE, which node's os.constants.dlopen leaves out. */
const RTLD_NODELETE = 0x1000;

/**
 * Loads a shared library by its full path into this process for good, so that a library loaded
 * later that needs it by its soname (libcublas.so.13, say) gets this copy, wherever the loader's
 * own search would have looked. process.dlopen is node's only dlopen: it refuses the file as an
 * addon ("did not self-register") and closes it, which RTLD_NODELETE turns into a no-op.
 */
export function preloadLibrary(file: string): void {
  try {
    process.dlopen({ exports: {} }, file, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!/did not self-register/.test(message)) throw new Error(`cannot load ${file}: ${message}`);
  }
}
