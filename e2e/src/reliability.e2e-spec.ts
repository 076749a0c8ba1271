import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_KINDS } from './reliability/inputs/bad-input';
import { formatReport } from './reliability/report';
import { runReliability } from './reliability/run';

/**
 * The quick subset of `npm run reliability`: one seed, waves of three studies, two of the fault
 * kinds (ingest killed between a claim and its enqueue; the receiver down for a whole retry
 * window) and every kind of bad input. Nothing may be lost, duplicated or misrouted, and every bad
 * input must get its clear answer.
 */
test('the reliability suite (quick subset): no study lost, duplicated or misrouted; every bad input answered', async () => {
  const report = await runReliability({ seed: 7, studiesPerWave: 3, faults: ['ingest-sigkill-after-claim', 'receiver-down'] });
  const text = formatReport(report);
  assert.deepEqual(report.failures, [], text);
  assert.deepEqual(
    { lost: report.studies.lost, duplicated: report.studies.duplicated, misrouted: report.studies.misrouted },
    { lost: 0, duplicated: 0, misrouted: 0 },
    text,
  );
  assert.equal(report.studies.completed, report.studies.submitted, text);
  assert.deepEqual(Object.keys(report.faultsByKind).sort(), ['ingest-sigkill-after-claim', 'receiver-down']);
  assert.deepEqual(Object.keys(report.badInputsByKind).sort(), [...INPUT_KINDS].sort(), 'every kind of bad input was tried');
  assert.ok(report.badInputs.length >= 60, `${report.badInputs.length} bad inputs tried`);
});
