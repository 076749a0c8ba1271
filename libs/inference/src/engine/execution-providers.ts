import { checkCuda, cudaProblem } from './cuda-provider';
import { findLibraries, librarySearchDirs, preloadLibrary } from './native-libraries';

/** Where an ONNX session computes: the CPU, NVIDIA's CUDA, or WebGPU (Dawn on Vulkan, on Linux). */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

const VULKAN_LOADER = 'libvulkan.so.1';

/**
 * What must hold before ONNX Runtime is asked for `provider`, checked in the process that will
 * run the session: undefined when the session may be created, else what is missing, all of it at
 * once. For CUDA it also loads the CUDA libraries it found, so that the provider finds those in
 * folders the loader does not search (NVIDIA's Python wheels).
 */
export function prepareExecutionProvider(provider: ExecutionProvider): string | undefined {
  if (provider === 'cuda') {
    const check = checkCuda();
    const problem = cudaProblem(check);
    if (problem !== undefined) return problem;
    for (const lib of check.libraries) preloadLibrary(lib.path!);
  }
  if (provider === 'webgpu' && findLibraries([VULKAN_LOADER], librarySearchDirs()).missing.length > 0) {
    return `WebGPU needs the Vulkan loader, ${VULKAN_LOADER}, which is in no folder the loader searches (Debian and Ubuntu: apt-get install libvulkan1), and a Vulkan driver for the GPU (NVIDIA's driver brings one)`;
  }
  return undefined;
}

/** ONNX Runtime's reason a session could not be created, with what an operator can do about it. */
export function explainProviderError(provider: ExecutionProvider, message: string): string {
  if (provider === 'webgpu' && /no supported adapters/i.test(message)) {
    // Dawn passes over CPU Vulkan drivers such as Mesa's lavapipe unless told otherwise.
    return `WebGPU found no GPU adapter: the Vulkan loader is here, but no Vulkan driver offers a GPU (CPU drivers such as lavapipe do not count; NVIDIA's driver must have installed its Vulkan ICD, nvidia_icd.json) [${message.trim()}]`;
  }
  return message;
}
