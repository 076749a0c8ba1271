#!/usr/bin/env node
// Runs the compiled test suites with node's own test runner, one tier at a time, cheapest first:
//   unit   *.spec.js          pure logic, fakes of small interfaces
//   medium *.medium-spec.js   one lib or app against real Redis / S3 server / a real model
//   e2e    *.e2e-spec.js      every app as its own process
// `node scripts/run-tests.mjs [unit|medium|e2e]...` runs only the tiers named.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = { unit: /(?<!\.medium|\.e2e)\.spec\.js$/, medium: /\.medium-spec\.js$/, e2e: /\.e2e-spec\.js$/ };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(tiers);
const roots = ['libs', 'apps', 'e2e'];

function findDist(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    // A dist folder left behind by a package that no longer exists (moved or deleted) is skipped.
    if (name === 'dist') {
      if (existsSync(join(dir, 'package.json'))) collect(path, out);
    } else findDist(path, out);
  }
  return out;
}
function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else out.push(path);
  }
}

const files = roots.flatMap((r) => findDist(r));
let failed = false;
for (const tier of wanted) {
  if (!tiers[tier]) throw new Error(`unknown test tier "${tier}" (expected one of ${Object.keys(tiers).join(', ')})`);
  const specs = files.filter((f) => tiers[tier].test(f)).sort();
  if (specs.length === 0) continue;
  console.log(`\n# ${tier} tests (${specs.length} files)`);
  const concurrency = tier === 'unit' ? 2 : 1;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...specs], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
