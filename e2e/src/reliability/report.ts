import type { FaultRecord } from './faults/fault';
import type { BadInputRecord } from './inputs/bad-input';
import type { StudyTally } from './invariants';

export interface ReliabilityReport {
  seed: number;
  startedAt: string;
  durationS: number;
  studies: { submitted: number; completed: number; lost: number; duplicated: number; misrouted: number; goodImagesUnclassified: number };
  faults: FaultRecord[];
  faultsByKind: Record<string, number>;
  badInputs: BadInputRecord[];
  badInputsByKind: Record<string, { tried: number; answered: number }>;
  /** Every invariant that failed, in words; empty when the run passed. */
  failures: string[];
  detail: Pick<StudyTally, 'lost' | 'duplicated' | 'misrouted' | 'unclassified'>;
}

export function buildReport(
  seed: number,
  startedAt: Date,
  tally: StudyTally,
  faults: FaultRecord[],
  inputs: BadInputRecord[],
): ReliabilityReport {
  const count = <T>(xs: T[], key: (x: T) => string) =>
    xs.reduce<Record<string, number>>((m, x) => ({ ...m, [key(x)]: (m[key(x)] ?? 0) + 1 }), {});
  const badInputsByKind: ReliabilityReport['badInputsByKind'] = {};
  for (const i of inputs) {
    const k = (badInputsByKind[i.kind] ??= { tried: 0, answered: 0 });
    k.tried++;
    if (i.ok) k.answered++;
  }
  const failures: string[] = [];
  if (tally.lost.length) failures.push(`${tally.lost.length} stud(ies) lost: ${tally.lost.slice(0, 10).join(', ')}`);
  if (tally.duplicated.length)
    failures.push(`${tally.duplicated.length} stud(ies) duplicated: ${tally.duplicated.slice(0, 10).join(', ')}`);
  if (tally.misrouted.length) failures.push(`${tally.misrouted.length} stud(ies) misrouted: ${tally.misrouted.slice(0, 10).join(', ')}`);
  if (tally.unclassified.length)
    failures.push(`${tally.unclassified.length} good X-ray(s) not scored: ${tally.unclassified.slice(0, 5).join('; ')}`);
  for (const i of inputs.filter((x) => !x.ok)) failures.push(`bad input ${i.kind} ${i.name}: ${i.answer}`);
  return {
    seed,
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    studies: {
      submitted: tally.submitted,
      completed: tally.completed,
      lost: tally.lost.length,
      duplicated: tally.duplicated.length,
      misrouted: tally.misrouted.length,
      goodImagesUnclassified: tally.unclassified.length,
    },
    faults,
    faultsByKind: count(faults, (f) => f.kind),
    badInputs: inputs,
    badInputsByKind,
    failures,
    detail: { lost: tally.lost, duplicated: tally.duplicated, misrouted: tally.misrouted, unclassified: tally.unclassified },
  };
}

/** The report as the README shows it: the figures, then one line per fault and per input kind. */
export function formatReport(r: ReliabilityReport): string {
  const s = r.studies;
  const lines = [
    `reliability run, seed ${r.seed}, ${r.durationS} s`,
    '',
    '| studies submitted | completed | lost | duplicated | misrouted | good X-rays not scored |',
    '|---|---|---|---|---|---|',
    `| ${s.submitted} | ${s.completed} | ${s.lost} | ${s.duplicated} | ${s.misrouted} | ${s.goodImagesUnclassified} |`,
    '',
    '| fault | injected | what happened |',
    '|---|---|---|',
    ...Object.entries(r.faultsByKind).map(
      ([kind, n]) =>
        `| ${kind} | ${n} | ${r.faults
          .filter((f) => f.kind === kind)
          .map((f) => f.detail)
          .join('; ')} |`,
    ),
    '',
    '| bad input | tried | clear answer |',
    '|---|---|---|',
    ...Object.entries(r.badInputsByKind).map(([kind, k]) => `| ${kind} | ${k.tried} | ${k.answered} |`),
    `| **all** | ${r.badInputs.length} | ${r.badInputs.filter((i) => i.ok).length} |`,
    '',
    ...r.badInputs.map(
      (i) => `${i.ok ? 'ok  ' : 'FAIL'} ${i.kind.padEnd(20)} ${i.name.slice(0, 60).padEnd(60)} -> ${i.answer.slice(0, 160)}`,
    ),
    '',
    r.failures.length ? `FAILED:\n${r.failures.map((f) => `  - ${f}`).join('\n')}` : 'every invariant held',
  ];
  return lines.join('\n');
}
