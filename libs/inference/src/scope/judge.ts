import { DEFAULT_INTENDED_USE, type IntendedUse, type ModelManifest, type OutOfScope, type SiteScope } from '@pneumoscreen/contracts';
import { dicomScopeVerdict, looksLikeDicom } from '@pneumoscreen/imaging';
import type { GuardScores, ScopeGuard } from './guard';

/** A version's intended use, as widened for one site (`pneumoscreen models scope`). */
export function intendedUseOf(manifest: ModelManifest, site?: SiteScope | null): IntendedUse {
  const use = manifest.intendedUse ?? DEFAULT_INTENDED_USE;
  return site?.population ? { ...use, population: site.population } : use;
}

/** From the file alone, before any pixel is decoded: its container, then its DICOM header. */
export function headerVerdict(bytes: Uint8Array, use: IntendedUse): OutOfScope | null {
  const container = looksLikeDicom(bytes) ? 'dicom' : isPng(bytes) ? 'png' : isJpeg(bytes) ? 'jpeg' : null;
  // Anything else is the decoder's to refuse, with its own message.
  if (container && !use.containers.includes(container)) return { reason: 'not-radiograph', score: 1 };
  return container === 'dicom' ? dicomScopeVerdict(bytes, use) : null;
}

/** From the guard's scores of the decoded image; reasons the site accepted do not refuse. */
export function contentVerdict(guard: ScopeGuard | null, scores: GuardScores | undefined, site?: SiteScope | null): OutOfScope | null {
  if (!guard || !scores) return null;
  const verdict = guard.verdict(scores);
  if (!verdict) return null;
  return site?.accept.includes(verdict.reason as 'unlike-training-data') ? null : verdict;
}

const isPng = (b: Uint8Array) => b.length > 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** The flag of an image the content guard let through, unless the site accepted the reason. */
export function contentFlag(guard: ScopeGuard | null, scores: GuardScores | undefined, site?: SiteScope | null): OutOfScope | null {
  if (!guard || !scores || site?.accept.includes('unlike-training-data')) return null;
  return guard.flag(scores);
}
