import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { OutOfScope } from '@pneumoscreen/contracts';

const IMAGE = /\.(jpe?g|png|dcm)$/i;

export interface OodImage {
  path: string;
  /** The first folder under --ood-data, or "(top)". */
  group: string;
}

interface Share {
  images: number;
  refused: number;
  share: number;
  /** Assessed but flagged unlike the training films (see FLAG_FRACTION). */
  flagged: number;
  refusedOrFlagged: number;
}

/** What `eval --json` adds: outOfScope counts of --data, and with --ood-data the guard measured. */
export interface ScopeReport {
  guard: boolean;
  outOfScope: { count: number; share: number; reasons: Record<string, number>; flagged: number; flaggedShare: number };
  ood?: { images: number; unreadable: number; refused: Share; reasons: Record<string, number>; groups: Record<string, Share> };
}

export async function listOodImages(root: string): Promise<OodImage[]> {
  const out: OodImage[] = [];
  const walk = async (dir: string, group: string | undefined) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
      throw new Error(`--ood-data ${dir} is not a readable folder`);
    });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full, group ?? e.name);
      else if (e.isFile() && IMAGE.test(e.name)) out.push({ path: full, group: group ?? '(top)' });
    }
  };
  await walk(path.resolve(root), undefined);
  if (out.length === 0) throw new Error(`no .jpg, .jpeg, .png or .dcm files under --ood-data ${root}`);
  return out;
}

export function scopeReport(
  data: { verdicts: Array<OutOfScope | null>; flags: Array<OutOfScope | null> },
  ood:
    { images: OodImage[]; verdicts: Array<OutOfScope | null>; flags: Array<OutOfScope | null>; scores: Array<number | null> } | undefined,
  guard: boolean,
): ScopeReport {
  const n = Math.max(1, data.verdicts.length);
  const flagged = data.flags.filter(Boolean).length;
  const report: ScopeReport = {
    guard,
    outOfScope: { ...count(data.verdicts), share: data.verdicts.filter(Boolean).length / n, flagged, flaggedShare: flagged / n },
  };
  if (!ood) return report;
  const groups: Record<string, Share> = {};
  ood.images.forEach((img, i) => {
    const g = (groups[img.group] ??= { images: 0, refused: 0, share: 0, flagged: 0, refusedOrFlagged: 0 });
    g.images++;
    if (ood.verdicts[i]) g.refused++;
    if (ood.flags[i]) g.flagged++;
  });
  for (const g of Object.values(groups)) {
    g.share = g.refused / g.images;
    g.refusedOrFlagged = (g.refused + g.flagged) / g.images;
  }
  const refused = ood.verdicts.filter(Boolean).length;
  const oodFlagged = ood.flags.filter(Boolean).length;
  return {
    ...report,
    ood: {
      images: ood.images.length,
      // Files the decoder refused (no score, no verdict): refused too, but not by the guard.
      unreadable: ood.images.filter((_, i) => !ood.verdicts[i] && ood.scores[i] === null).length,
      refused: {
        images: ood.images.length,
        refused,
        share: refused / ood.images.length,
        flagged: oodFlagged,
        refusedOrFlagged: (refused + oodFlagged) / ood.images.length,
      },
      reasons: count(ood.verdicts).reasons,
      groups,
    },
  };
}

function count(verdicts: Array<OutOfScope | null | undefined>): { count: number; reasons: Record<string, number> } {
  const reasons: Record<string, number> = {};
  for (const v of verdicts) if (v) reasons[v.reason] = (reasons[v.reason] ?? 0) + 1;
  return { count: Object.values(reasons).reduce((a, b) => a + b, 0), reasons };
}
