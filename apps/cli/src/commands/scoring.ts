import type { IntendedUse, ModelManifest, OutOfScope } from '@pneumoscreen/contracts';
import { ImageDecodeError, preprocess } from '@pneumoscreen/imaging';
import { contentFlag, contentVerdict, headerVerdict, type ModelEngine, type ScopeGuard } from '@pneumoscreen/inference';

const BATCH = 16;

/** Image bytes to one model input; several views of an image are averaged (test-time augmentation). */
export type View = (bytes: Buffer) => Promise<Float32Array>;

export function plainView(manifest: ModelManifest): View {
  return (bytes) => preprocess(bytes, manifest.preprocessing);
}

export interface ScoreOptions<T> {
  /** The bytes of an item, or null to leave it out (its score is then null). */
  read: (item: T) => Promise<Buffer | null>;
  /** How messages name an item. */
  name: (item: T) => string;
  views: View[];
  /** Leave out (null) an item that is not a decodable image, rather than fail on it. */
  skipUndecodable?: boolean;
  /** Hears why an item was left out under skipUndecodable. */
  onSkip?: (item: T, err: ImageDecodeError) => void;
  onProgress?: (done: number, total: number) => void;
  /** After each batch: the scores so far, final for the items before `done`. */
  onBatch?: (scores: ReadonlyArray<number | null>, done: number) => void;
  /** Checks every item against the intended use as workers do (header, then the guard on the
   * first view's features) and writes each verdict here; a header refusal leaves the item out. */
  scope?: { use: IntendedUse; guard: ScopeGuard | null; verdicts: Array<OutOfScope | null>; flags?: Array<OutOfScope | null> };
}

/** P(PNEUMONIA) of each item, averaged over the views, in batches; null where an item was left out. */
export async function scoreItems<T>(engine: ModelEngine, items: readonly T[], o: ScoreOptions<T>): Promise<Array<number | null>> {
  const scores: Array<number | null> = new Array(items.length).fill(null);
  for (let i = 0; i < items.length; i += BATCH) {
    const chunk = items.slice(i, i + BATCH);
    const bytes = await Promise.all(chunk.map((item) => o.read(item)));
    if (o.scope) {
      chunk.forEach((_, j) => {
        const b = bytes[j];
        const verdict = b ? headerVerdict(b, o.scope!.use) : null;
        o.scope!.verdicts[i + j] = verdict;
        if (verdict) bytes[j] = null;
      });
    }
    for (const [v, view] of o.views.entries()) {
      const inputs = await Promise.all(
        chunk.map(async (item, j) => {
          const b = bytes[j];
          if (!b) return null;
          try {
            return await view(b);
          } catch (err) {
            if (o.skipUndecodable && err instanceof ImageDecodeError) {
              o.onSkip?.(item, err);
              return (bytes[j] = null);
            }
            throw new Error(`${o.name(item)}: ${(err as Error).message}`);
          }
        }),
      );
      const ready = inputs.flatMap((x, j) => (x ? [{ x, j }] : []));
      if (!ready.length) continue;
      const batch = new Float32Array(ready.reduce((n, r) => n + r.x.length, 0));
      ready.forEach((r, k) => batch.set(r.x, k * r.x.length));
      const guard = v === 0 ? o.scope?.guard : null;
      const scored = guard && engine.score ? await engine.score(batch, ready.length) : { probabilities: await engine.predict(batch, ready.length), featureDim: 0, features: undefined };
      const out = scored.probabilities;
      if (guard && scored.features && scored.featureDim === guard.featureDim) {
        const { features, featureDim } = scored;
        ready.forEach((r, k) => {
          const scores = guard.score(features.subarray(k * featureDim, (k + 1) * featureDim));
          o.scope!.verdicts[i + r.j] = contentVerdict(guard, scores);
          if (o.scope!.flags) o.scope!.flags[i + r.j] = contentFlag(guard, scores);
        });
      }
      // Summed in single precision, as the engines' own outputs are: a threshold chosen on float32
      // scores must meet the same values here.
      ready.forEach((r, k) => (scores[i + r.j] = Math.fround((scores[i + r.j] ?? 0) + out[k]! / o.views.length)));
    }
    // An item left out of any view is left out altogether, never scored on fewer views.
    chunk.forEach((_, j) => bytes[j] === null && (scores[i + j] = null));
    o.onBatch?.(scores, i + chunk.length);
    o.onProgress?.(i + chunk.length, items.length);
  }
  return scores;
}
