import type { StudyResult } from '@pneumoscreen/contracts';

export interface Finished {
  result: StudyResult;
  seconds: number;
}

/** The table the demo ends with: one row per study. */
export function formatTable(rows: Finished[]): string {
  const header = ['study', 'images', 'P(pneumonia)', 'decision', 'model version', 'seconds'];
  const body = rows.map(({ result: r, seconds }) => [
    r.studyId,
    `${r.images.length}${r.images.some((i) => i.error) ? ` (${r.images.filter((i) => i.error).length} error)` : ''}`,
    r.maxProbability === undefined ? '-' : r.maxProbability.toFixed(4),
    r.decision ?? r.status.toUpperCase(),
    r.modelVersion ?? '-',
    seconds.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
