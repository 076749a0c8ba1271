import { Command } from 'commander';
import { configureBenchCommand } from '../commands/bench';
import { configureCalibrationCommand } from '../commands/calibration-compare';
import { configureClassifyCommand } from '../commands/classify';
import { configureDemoCommand } from '../commands/demo';
import { configureEvalCommand } from '../commands/eval';
import { configureGpuCommand } from '../commands/gpu';
import { configureLeversCommand } from '../commands/levers';
import { configureModelsCommand } from '../commands/models';
import { configureRetrainCommand } from '../commands/retrain';
import { configureTrainCommand } from '../commands/train';
import { configureWebhooksCommand } from '../commands/webhooks';
import { runProgram } from './action';
import type { CliIo } from './io';

/** `pneumoscreen` with every command; the settings made here reach every subcommand. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('pneumoscreen')
    .description('screens chest X-rays for pneumonia: the operator command (README: Command line)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()
    .helpCommand(true);
  configureDemoCommand(program, io);
  configureClassifyCommand(program, io);
  configureTrainCommand(program, io);
  configureRetrainCommand(program, io);
  configureEvalCommand(program, io);
  configureLeversCommand(program, io);
  configureModelsCommand(program, io);
  configureCalibrationCommand(program, io);
  configureWebhooksCommand(program, io);
  configureGpuCommand(program, io);
  configureBenchCommand(program, io);
  return program;
}

/** Runs one command line (without node and script) and gives its exit code (README: Exit codes). */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runProgram(buildProgram(io), argv);
}
