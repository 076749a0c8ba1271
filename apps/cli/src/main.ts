import './decode-threads';
import { benchCommand } from './commands/bench';
import { classifyCommand } from './commands/classify';
import { demoCommand } from './commands/demo';
import { evalCommand } from './commands/eval';
import { modelsCommand } from './commands/models';
import { retrainCommand } from './commands/retrain';
import { trainCommand } from './commands/train';
import { webhooksCommand } from './commands/webhooks';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  demo: { run: demoCommand, help: 'run the whole pipeline locally on the sample studies (or --input DIR)' },
  classify: { run: classifyCommand, help: 'classify local image files or folders: classify <file|dir>... [--json] [--model DIR]' },
  train: { run: trainCommand, help: 'train a model: train --data DIR --backbone mobilenet [--out DIR]' },
  retrain: { run: retrainCommand, help: 'queue a retrain on base data + feedback and follow it: retrain [--min-new-labels N] [--wait] [--json]' },
  eval: { run: evalCommand, help: 'evaluate a model on a labelled folder: eval --data DIR [VERSION [--site S] | --model DIR] [--json]' },
  models: { run: modelsCommand, help: 'the model registry: models list [--json] | publish DIR | promote VERSION | canary VERSION --fraction F | rollback | calibrate [VERSION] --data DIR|--from-feedback [--site S] | calibrations [VERSION] | import --arch vgg16 FILE | quantize DIR --data IMAGES | guard DIR --data IMAGES | scope VERSION --site S' },
  webhooks: { run: webhooksCommand, help: 'webhook dead letters: webhooks failed [--json] | replay ID... | replay --since TIME | enable URL' },
  bench: { run: benchCommand, help: 'measure decode, inference, end-to-end throughput and memory: bench [--json] [--quick] [--only decode,engines,e2e,soak] [--workers 1,2] [--ingests N] [--s3-servers N] [--repeat N] [--backbone mobilenet|vgg16] [--engine NAME]' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return `usage: pneumoscreen <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`pneumoscreen: ${e.message}\n`);
    process.exit(1);
  },
);
