import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { findLibraries, librarySearchDirs, type LibrarySearch } from './native-libraries';

/**
 * ONNX Runtime's CUDA provider on npm: Microsoft's build, repackaged for Unity by asus4, one
 * release per ONNX Runtime release. A provider library loads only into the runtime release it
 * was built with, so onnxruntime-node is pinned to `onnxRuntime` exactly.
 */
export const CUDA_PROVIDER_RELEASES: Record<string, { version: string; integrity: string; cuda: string }> = {
  '1.29.0': {
    version: '0.4.9',
    integrity: 'sha512-FopIhNE/Ng+v2X65wVc9clPCBCvhvA53Hxo2U0Kf5fGdVsC7iCA+mZ0KLWggcQAj7TIZ6pNidR4AC10g74Xo6w==',
    cuda: '13',
  },
};
export const CUDA_PROVIDER_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu';
/** What the install copies beside libonnxruntime.so.1 (the package's TensorRT provider is left out). */
export const CUDA_PROVIDER_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;
/** Written beside them by the install: which release, and the folders it found CUDA in. */
export const CUDA_PROVIDER_RECORD = 'pneumoscreen-cuda-provider.json';

export interface CudaProviderRecord {
  package: string;
  version: string;
  onnxRuntime: string;
  /** Folders outside the loader's search (NVIDIA's Python wheels) holding CUDA libraries. */
  libraryDirs: string[];
}

/** The libraries the CUDA provider needs, with where each comes from. */
export const CUDA_LIBRARIES: ReadonlyArray<{ file: string; what: string; wheel?: string }> = [
  { file: 'libcuda.so.1', what: "the NVIDIA driver's CUDA library" },
  { file: 'libcudart.so.13', what: 'the CUDA 13 runtime', wheel: 'nvidia-cuda-runtime' },
  { file: 'libcublasLt.so.13', what: "CUDA 13's cuBLASLt", wheel: 'nvidia-cublas' },
  { file: 'libcublas.so.13', what: "CUDA 13's cuBLAS", wheel: 'nvidia-cublas' },
  { file: 'libcurand.so.10', what: "CUDA 13's cuRAND", wheel: 'nvidia-curand' },
  { file: 'libcudnn.so.9', what: 'cuDNN 9', wheel: 'nvidia-cudnn-cu13' },
];

/** onnxruntime-node's package folder (the one this code loads) and its native folder for this platform. */
export function onnxRuntimeNode(packageDir = path.dirname(require.resolve('onnxruntime-node/package.json'))): {
  dir: string;
  version: string;
  binDir: string;
} {
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { dir: packageDir, version, binDir: path.join(packageDir, 'bin/napi-v6', process.platform, process.arch) };
}

export interface CudaCheck {
  onnxRuntime: string;
  record?: CudaProviderRecord;
  /** Why the provider cannot load, if it cannot: absent, or built for another ONNX Runtime. */
  providerProblem?: string;
  libraries: Array<{ file: string; what: string; wheel?: string; path?: string }>;
  searched: string[];
}

/** What stands between onnxruntime-node at `ortDir` and a CUDA session: the provider and each library. */
export function checkCuda(ortDir?: string, search: LibrarySearch = {}): CudaCheck {
  const ort = onnxRuntimeNode(ortDir);
  const record = readRecord(ort.binDir);
  const absent = CUDA_PROVIDER_FILES.filter((f) => !existsSync(path.join(ort.binDir, f)));
  let providerProblem: string | undefined;
  if (absent.length > 0) {
    providerProblem = `the CUDA provider is not installed (no ${absent.join(', ')} beside onnxruntime-node's libonnxruntime.so.1): run \`npm run gpu:install\` on a host that reaches an npm registry`;
  } else if (record && record.onnxRuntime !== ort.version) {
    providerProblem = `the CUDA provider installed is ${record.package}@${record.version}, built for ONNX Runtime ${record.onnxRuntime}, but onnxruntime-node is ${ort.version}: run \`npm run gpu:install\` again`;
  }
  const searched = librarySearchDirs({ ...search, extraDirs: [...(search.extraDirs ?? []), ...(record?.libraryDirs ?? [])] });
  const { found } = findLibraries(
    CUDA_LIBRARIES.map((l) => l.file),
    searched,
  );
  const libraries = CUDA_LIBRARIES.map((l) => ({ ...l, ...(found.has(l.file) ? { path: found.get(l.file) } : {}) }));
  return { onnxRuntime: ort.version, ...(record ? { record } : {}), ...(providerProblem ? { providerProblem } : {}), libraries, searched };
}

/** One sentence naming everything missing, or undefined when a CUDA session can be asked for. */
export function cudaProblem(check: CudaCheck): string | undefined {
  const missing = check.libraries.filter((l) => l.path === undefined);
  const problems = check.providerProblem ? [check.providerProblem] : [];
  if (missing.length > 0) {
    const wheels = [...new Set(missing.flatMap((l) => (l.wheel ? [l.wheel] : [])))];
    const driver = missing.some((l) => l.file === 'libcuda.so.1')
      ? '; libcuda.so.1 comes with the NVIDIA driver (in a container: the NVIDIA container toolkit mounts it)'
      : '';
    const fix =
      wheels.length > 0
        ? `: install CUDA 13 and cuDNN 9, or \`pip install ${wheels.join(' ')}\` and run \`npm run gpu:install\` again so it records their folders`
        : '';
    problems.push(
      `missing ${missing.map((l) => `${l.file} (${l.what})`).join(', ')}, looked in ${check.searched.join(', ') || 'no folder'}${fix}${driver}`,
    );
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

function readRecord(binDir: string): CudaProviderRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(binDir, CUDA_PROVIDER_RECORD), 'utf8')) as CudaProviderRecord;
  } catch {
    return undefined;
  }
}
