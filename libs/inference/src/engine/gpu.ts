import { existsSync, readdirSync } from 'node:fs';

/**
 * Whether this process can see an NVIDIA GPU: the driver lists one (or a container was given a
 * device node) and CUDA_VISIBLE_DEVICES does not hide them all. A cheap look before asking a
 * runtime for CUDA, whose failure costs seconds and a screenful of logs.
 */
export function nvidiaGpuVisible(env: NodeJS.ProcessEnv = process.env): boolean {
  const visible = env['CUDA_VISIBLE_DEVICES']?.trim();
  if (visible === '' || visible === '-1') return false;
  try {
    if (readdirSync('/proc/driver/nvidia/gpus').length > 0) return true;
  } catch {
    // no NVIDIA driver in this kernel's view
  }
  return existsSync('/dev/nvidia0');
}
