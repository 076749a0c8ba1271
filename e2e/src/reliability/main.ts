import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './faults/fault';
import { formatReport } from './report';
import { runReliability } from './run';

const USAGE = `usage: npm run reliability -- [--seed N] [--studies N] [--faults kind,...] [--out FILE] [--echo]
  --seed     seeds the workload (tenants, images, study sizes); default 1
  --studies  studies per wave (one wave before the faults, one during each); default 8
  --faults   ${FAULT_KINDS.join(',')} (default: all)
  --out      where the JSON report goes; default reliability-report.json
  --echo     print every app's output`;

/** `npm run reliability`: the fault and bad-input suite against the real stack; exits 1 when an
 * invariant fails. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      studies: { type: 'string', default: '8' },
      faults: { type: 'string' },
      out: { type: 'string', default: 'reliability-report.json' },
      echo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const faults = (values.faults?.split(',').map((f) => f.trim()) ?? [...FAULT_KINDS]) as FaultKind[];
  const unknown = faults.filter((f) => !FAULT_KINDS.includes(f));
  if (unknown.length || !/^\d+$/.test(values.seed) || !/^[1-9]\d*$/.test(values.studies)) {
    console.error(unknown.length ? `unknown fault kind(s): ${unknown.join(', ')}\n${USAGE}` : USAGE);
    return 2;
  }
  const report = await runReliability({ seed: Number(values.seed), studiesPerWave: Number(values.studies), faults, echo: values.echo });
  console.log(formatReport(report));
  await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nreport written to ${values.out}`);
  return report.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`reliability run failed: ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
