import type { Command } from 'commander';
import { z } from 'zod';
import { checkCuda, cudaProblem, nvidiaWheelDirs, onnxRuntimeNode } from '@pneumoscreen/inference';
import { GpuInstallRefused, installCudaProvider, pythonSitePackages } from '../gpu/install-provider';
import { formatGpuReport } from '../gpu/report';
import { ExitCode, commandAction } from '../program/action';
import type { CliIo } from '../program/io';

/** `pneumoscreen gpu install|check` (README: Inference engines). Exit codes: install 0 when the
 * provider is placed, check 0 when onnxruntime-cuda can start; 1 otherwise; 2 a usage error. */
export function configureGpuCommand(program: Command, io: CliIo): void {
  const gpu = program.command('gpu').description("GPU engines: ONNX Runtime's CUDA provider from npm, and what each GPU engine lacks here");
  gpu
    .command('install')
    .description(
      "fetch ONNX Runtime's CUDA provider (179 MB) from the npm registry at the release built for onnxruntime-node, and place it beside libonnxruntime.so.1",
    )
    .option('--version <v>', 'the provider package release (default: the one built for the installed onnxruntime-node)')
    .option('--onnxruntime-dir <dir>', "an onnxruntime-node package folder other than the project's")
    .action(
      commandAction(io, z.object({ version: z.string().optional(), onnxruntimeDir: z.string().optional() }), async (o, io) => {
        const ort = onnxRuntimeNode(o.onnxruntimeDir);
        try {
          const check = await installCudaProvider({
            ortDir: ort.dir,
            ...(o.version ? { version: o.version } : {}),
            log: (line) => io.err(`${line}\n`),
          });
          io.out(formatGpuReport(check, ort.binDir));
          return ExitCode.ok;
        } catch (e) {
          if (!(e instanceof GpuInstallRefused)) throw e;
          io.err(`gpu install: ${e.message}\n`);
          return ExitCode.failed;
        }
      }),
    );
  gpu
    .command('check')
    .description(
      'list what onnxruntime-cuda (provider, CUDA 13 and cuDNN 9 libraries) and onnxruntime-webgpu (Vulkan loader) still lack on this host',
    )
    .option('--onnxruntime-dir <dir>', "an onnxruntime-node package folder other than the project's")
    .action(
      commandAction(io, z.object({ onnxruntimeDir: z.string().optional() }), async (o, io) => {
        const ort = onnxRuntimeNode(o.onnxruntimeDir);
        const check = checkCuda(ort.dir, { extraDirs: nvidiaWheelDirs(pythonSitePackages()) });
        io.out(formatGpuReport(check, ort.binDir));
        return cudaProblem(check) === undefined ? ExitCode.ok : ExitCode.failed;
      }),
    );
}
