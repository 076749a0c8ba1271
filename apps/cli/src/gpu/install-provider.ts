import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  checkCuda,
  CUDA_PROVIDER_FILES,
  CUDA_PROVIDER_PACKAGE,
  CUDA_PROVIDER_RECORD,
  CUDA_PROVIDER_RELEASES,
  nvidiaWheelDirs,
  onnxRuntimeNode,
  type CudaCheck,
  type CudaProviderRecord,
} from '@pneumoscreen/inference';

export interface InstallProviderOptions {
  /** onnxruntime-node's package folder; the one the project loads when absent. */
  ortDir?: string;
  /** The provider package release wanted; the one built for onnxruntime-node's version when absent. */
  version?: string;
  /** site-packages folders whose NVIDIA wheels hold CUDA; python3's own when absent. */
  sitePackages?: readonly string[];
  log: (line: string) => void;
}

/** A request that cannot be met as asked: printed as is, with no stack. */
export class GpuInstallRefused extends Error {}

/** Which provider release fits onnxruntime-node `ortVersion`; refuses a release built for another. */
export function providerReleaseFor(ortVersion: string, wanted?: string): { version: string; integrity: string } {
  const known = Object.entries(CUDA_PROVIDER_RELEASES);
  const list = known.map(([ort, r]) => `${CUDA_PROVIDER_PACKAGE}@${r.version} for ONNX Runtime ${ort}`).join(', ');
  if (wanted !== undefined) {
    const built = known.find(([, r]) => r.version === wanted);
    if (!built)
      throw new GpuInstallRefused(
        `${CUDA_PROVIDER_PACKAGE}@${wanted} is not a release this project knows the ONNX Runtime of (known: ${list})`,
      );
    if (built[0] !== ortVersion) {
      throw new GpuInstallRefused(
        `${CUDA_PROVIDER_PACKAGE}@${wanted} holds the CUDA provider of ONNX Runtime ${built[0]}, but onnxruntime-node is ${ortVersion}: a provider loads only into the release it was built with; pin onnxruntime-node to ${built[0]} or leave --version out`,
      );
    }
  }
  const release = CUDA_PROVIDER_RELEASES[ortVersion];
  if (!release) {
    throw new GpuInstallRefused(
      `onnxruntime-node is ${ortVersion}, and no ${CUDA_PROVIDER_PACKAGE} release is known to hold its CUDA provider (known: ${list}): pin onnxruntime-node to one of those versions`,
    );
  }
  return release;
}

/**
 * Fetches the CUDA provider from the npm registry npm is configured with (a mirror will do),
 * checks the tarball against the integrity pinned here, copies its two libraries beside
 * onnxruntime-node's libonnxruntime.so.1 and records the release and the NVIDIA wheel folders
 * found. Returns what is then still missing for a CUDA session.
 */
export async function installCudaProvider(opts: InstallProviderOptions): Promise<CudaCheck> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new GpuInstallRefused(`the CUDA provider on npm is for linux-x64; this is ${process.platform}-${process.arch}`);
  const ort = onnxRuntimeNode(opts.ortDir);
  const release = providerReleaseFor(ort.version, opts.version);
  const work = await mkdtemp(path.join(tmpdir(), 'pneumoscreen-gpu-'));
  try {
    opts.log(`fetching ${CUDA_PROVIDER_PACKAGE}@${release.version} (179 MB) for onnxruntime-node ${ort.version}`);
    const tarball = packFromRegistry(`${CUDA_PROVIDER_PACKAGE}@${release.version}`, work, release.integrity);
    const inside = CUDA_PROVIDER_FILES.map((f) => `package/Plugins/Linux/x64/${f}`);
    run('tar', ['-xzf', tarball, '-C', work, ...inside]);
    for (const [i, file] of CUDA_PROVIDER_FILES.entries()) {
      // Copied then renamed, so a worker starting meanwhile never sees half a library.
      const partial = path.join(ort.binDir, `.${file}.partial`);
      await copyFile(path.join(work, inside[i]!), partial);
      await rename(partial, path.join(ort.binDir, file));
    }
    const record: CudaProviderRecord = {
      package: CUDA_PROVIDER_PACKAGE,
      version: release.version,
      onnxRuntime: ort.version,
      libraryDirs: nvidiaWheelDirs(opts.sitePackages ?? pythonSitePackages()),
    };
    await writeFile(path.join(ort.binDir, CUDA_PROVIDER_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    opts.log(`installed into ${ort.binDir}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return checkCuda(ort.dir);
}

/** `npm pack` into `dir`, refusing a tarball whose integrity differs from `integrity`. */
function packFromRegistry(spec: string, dir: string, integrity: string): string {
  // A cached tarball will do: its integrity is checked against the pin either way.
  const out = run('npm', ['pack', spec, '--prefer-offline', '--json', '--pack-destination', dir]);
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; integrity: string }>;
  if (!packed || packed.integrity !== integrity) {
    throw new GpuInstallRefused(
      `${spec} from the registry has integrity ${packed?.integrity ?? 'unknown'}, not the ${integrity} this project pinned: refusing it`,
    );
  }
  return path.join(dir, packed.filename);
}

function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new GpuInstallRefused(`cannot run ${command}: ${r.error.message}`);
  if (r.status !== 0) throw new GpuInstallRefused(`${command} ${args[0]} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return r.stdout;
}

/** python3's site-packages folders (pip's user folder too), where NVIDIA's CUDA wheels unpack;
 * none when there is no python3. */
export function pythonSitePackages(): string[] {
  const code = 'import site\nprint("\\n".join(site.getsitepackages() + [site.getusersitepackages()]))';
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l !== '') : [];
}
