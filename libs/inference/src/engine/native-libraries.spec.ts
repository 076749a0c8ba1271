import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findLibraries, librarySearchDirs, nvidiaWheelDirs, preloadLibrary } from './native-libraries';

async function touch(file: string, text = ''): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A root holding Debian's ld.so.conf layout, a CUDA toolkit folder it includes, and a folder only LD_LIBRARY_PATH names. */
async function fakeRoot(): Promise<{ root: string; own: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'native-libs-'));
  await touch(path.join(root, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  await touch(path.join(root, 'etc/ld.so.conf.d/cuda.conf'), '# the toolkit\n/usr/local/cuda-13.0/lib\n/not/there\n');
  await touch(path.join(root, 'etc/ld.so.conf.d/x86_64-linux-gnu.conf'), '/usr/lib/x86_64-linux-gnu\n');
  await touch(path.join(root, 'etc/ld.so.conf.d/README'), '/never/read\n');
  await touch(path.join(root, 'usr/local/cuda-13.0/lib/libcudart.so.13'));
  await touch(path.join(root, 'usr/lib/x86_64-linux-gnu/libcuda.so.1'));
  await touch(path.join(root, 'usr/lib/x86_64-linux-gnu/libcudart.so.13'));
  await mkdir(path.join(root, 'usr/lib'), { recursive: true });
  const own = path.join(root, 'opt/own/lib');
  await touch(path.join(own, 'libcudart.so.13'));
  return { root, own };
}

test("the search follows the loader's order: LD_LIBRARY_PATH, extra folders, ld.so.conf and its includes, then glibc's defaults", async () => {
  const { root, own } = await fakeRoot();
  const extra = path.join(root, 'site/nvidia/cublas/lib');
  await mkdir(extra, { recursive: true });
  const dirs = librarySearchDirs({ root, env: { LD_LIBRARY_PATH: `${own}::/no/such/dir` }, extraDirs: [extra] });
  assert.deepEqual(dirs, [
    own,
    extra,
    path.join(root, 'usr/local/cuda-13.0/lib'),
    path.join(root, 'usr/lib/x86_64-linux-gnu'),
    path.join(root, 'usr/lib'),
  ]);
  const { found, missing } = findLibraries(['libcudart.so.13', 'libcuda.so.1', 'libcublas.so.13'], dirs);
  assert.equal(found.get('libcudart.so.13'), path.join(own, 'libcudart.so.13'), 'the first folder that has it wins');
  assert.equal(found.get('libcuda.so.1'), path.join(root, 'usr/lib/x86_64-linux-gnu/libcuda.so.1'));
  assert.deepEqual(missing, ['libcublas.so.13']);
  assert.deepEqual(
    findLibraries(['libcudart.so.13'], librarySearchDirs({ root, env: {} })).found.get('libcudart.so.13'),
    path.join(root, 'usr/local/cuda-13.0/lib/libcudart.so.13'),
  );
});

test("NVIDIA's Python wheels are found in each site-packages' nvidia/*/lib, CUDA 13's nvidia/cu13/lib among them", async () => {
  const site = await mkdtemp(path.join(tmpdir(), 'site-packages-'));
  for (const c of ['cu13', 'cudnn', 'nccl'])
    await mkdir(path.join(site, 'nvidia', c, c === 'nccl' ? 'include' : 'lib'), { recursive: true });
  await touch(path.join(site, 'nvidia/cu13/lib/libcublas.so.13'));
  const dirs = nvidiaWheelDirs([site, path.join(site, 'missing')]);
  assert.deepEqual(dirs, [path.join(site, 'nvidia/cu13/lib'), path.join(site, 'nvidia/cudnn/lib')]);
  assert.equal(findLibraries(['libcublas.so.13'], dirs).found.get('libcublas.so.13'), path.join(site, 'nvidia/cu13/lib/libcublas.so.13'));
});

test('a library that cannot be loaded is named with the reason', async () => {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'native-libs-')), 'libnot.so.1');
  await writeFile(file, 'not an ELF file');
  assert.throws(
    () => preloadLibrary(file),
    (e: Error) => e.message.startsWith(`cannot load ${file}: `) && /invalid ELF header|file too short/.test(e.message),
  );
});

test('a preloaded library stays mapped in the process after node refuses it as an addon', () => {
  // zlib: in every Debian, and not a library node itself links.
  const zlib = findLibraries(['libz.so.1'], librarySearchDirs()).found.get('libz.so.1');
  assert.ok(zlib, 'libz.so.1 is on the loader path');
  const mapped = () => readFileSync('/proc/self/maps', 'utf8').includes(realpathSync(zlib));
  assert.equal(mapped(), false);
  preloadLibrary(zlib);
  assert.equal(mapped(), true);
});
