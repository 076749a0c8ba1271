import { cudaProblem, findLibraries, librarySearchDirs, type CudaCheck } from '@pneumoscreen/inference';

/** What `gpu check` and `gpu install` print: the provider, each CUDA library and where it was
 * found, whether onnxruntime-cuda can start, and whether WebGPU has its Vulkan loader. */
export function formatGpuReport(check: CudaCheck, binDir: string): string {
  const lines = [`onnxruntime-node ${check.onnxRuntime}: ${binDir}`];
  const record = check.record;
  lines.push(
    `CUDA provider: ${check.providerProblem ? 'NOT USABLE (below)' : `${record ? `${record.package}@${record.version}, ` : ''}installed`}`,
  );
  const width = Math.max(...check.libraries.map((l) => l.file.length));
  for (const l of check.libraries) {
    lines.push(
      `  ${l.file.padEnd(width)}  ${l.path ? `found    ${l.path}` : `MISSING  ${l.what}${l.wheel ? ` (or pip install ${l.wheel})` : ''}`}`,
    );
  }
  const problem = cudaProblem(check);
  lines.push(
    problem === undefined
      ? 'ENGINE=onnxruntime-cuda: ready (a GPU must also be visible to the worker)'
      : `ENGINE=onnxruntime-cuda: cannot start: ${problem}`,
  );
  const wheelDirs = record?.libraryDirs.filter((d) => check.libraries.some((l) => l.path?.startsWith(`${d}/`))) ?? [];
  if (wheelDirs.length > 0) {
    // The provider loads cuDNN's parts by name at run time, which only the loader's own search finds.
    lines.push(`CUDA from Python wheels: start the worker with LD_LIBRARY_PATH=${wheelDirs.join(':')} (the GPU bundle's start.sh sets it)`);
  }
  const vulkan = findLibraries(['libvulkan.so.1'], librarySearchDirs()).found.get('libvulkan.so.1');
  lines.push(
    `ENGINE=onnxruntime-webgpu: ${vulkan ? `Vulkan loader at ${vulkan}; whether a GPU adapter is offered shows when the engine starts` : "cannot start: no libvulkan.so.1 (apt-get install libvulkan1, and the GPU's Vulkan driver)"}`,
  );
  return `${lines.join('\n')}\n`;
}
