import type { IntendedUse, ModelManifest, OutOfScope } from '@pneumoscreen/contracts';
import { ImageDecodeError, preprocess } from '@pneumoscreen/imaging';
import type { EngineScores, ModelEngine } from './engine/engine';
import type { ScopeGuard } from './scope/guard';
import { contentFlag, contentVerdict, headerVerdict } from './scope/judge';

/** Items per engine call unless a caller asks for another size. */
export const SCORE_BATCH = 16;

/** What `read` gives (by default an image file's bytes) to one model input; several views of an
 * item are averaged (test-time augmentation). */
export type View<S = Buffer> = (source: S) => Promise<Float32Array>;

export function plainView(manifest: ModelManifest): View {
  return (bytes) => preprocess(bytes, manifest.preprocessing);
}

export interface ScoreItemsOptions<T, S = Buffer> {
  /** The source of an item (its bytes, a decoded image...), or null to leave it out (its score is then null). */
  read: (item: T) => Promise<S | null>;
  /** How messages name an item. */
  name: (item: T) => string;
  views: Array<View<S>>;
  /** Items per engine call (default SCORE_BATCH). */
  batchSize?: number;
  /** Leave out (null) an item that is not a decodable image, rather than fail on it. */
  skipUndecodable?: boolean;
  /** Hears why an item was left out under skipUndecodable. */
  onSkip?: (item: T, err: ImageDecodeError) => void;
  onProgress?: (done: number, total: number) => void;
  /** After each batch: the scores so far, final for the items before `done`. */
  onBatch?: (scores: ReadonlyArray<number | null>, done: number) => void;
  /** Asks the engine for pooled features on the first view and hands each batch's scores on, with
   * the index of the item each row is. */
  onFeatures?: (indices: readonly number[], scored: EngineScores) => void;
  /** Checks every item against the intended use as workers do (header, then the guard on the
   * first view's features) and writes each verdict here; a header refusal leaves the item out. */
  scope?: S extends Uint8Array ? ScopeCheck : never;
}

export interface ScopeCheck {
  use: IntendedUse;
  guard: ScopeGuard | null;
  verdicts: Array<OutOfScope | null>;
  flags?: Array<OutOfScope | null>;
}

/**
 * The one offline batch loop (CLI classify, eval, site calibration, training's validation and
 * scope fits, the int8 check): read → views → one engine call per batch → P(PNEUMONIA) of each
 * item, averaged over the views; null where an item was left out. Batches run one after another,
 * so no more than one batch is read and decoded ahead of the engine whatever the item count.
 */
export async function scoreItems<T, S = Buffer>(
  engine: ModelEngine,
  items: readonly T[],
  o: ScoreItemsOptions<T, S>,
): Promise<Array<number | null>> {
  const size = o.batchSize ?? SCORE_BATCH;
  const scope = o.scope as ScopeCheck | undefined;
  const scores: Array<number | null> = new Array(items.length).fill(null);
  for (let i = 0; i < items.length; i += size) {
    const chunk = items.slice(i, i + size);
    const sources = await Promise.all(chunk.map((item) => o.read(item)));
    if (scope) {
      chunk.forEach((_, j) => {
        const s = sources[j];
        const verdict = s ? headerVerdict(s as unknown as Uint8Array, scope.use) : null;
        scope.verdicts[i + j] = verdict;
        if (verdict) sources[j] = null;
      });
    }
    for (const [v, view] of o.views.entries()) {
      const inputs = await Promise.all(
        chunk.map(async (item, j) => {
          const s = sources[j];
          if (!s) return null;
          try {
            return await view(s);
          } catch (err) {
            if (o.skipUndecodable && err instanceof ImageDecodeError) {
              o.onSkip?.(item, err);
              return (sources[j] = null);
            }
            throw new Error(`${o.name(item)}: ${(err as Error).message}`);
          }
        }),
      );
      const ready = inputs.flatMap((x, j) => (x ? [{ x, j }] : []));
      if (!ready.length) continue;
      const batch = new Float32Array(ready.reduce((n, r) => n + r.x.length, 0));
      ready.forEach((r, k) => batch.set(r.x, k * r.x.length));
      const guard = v === 0 ? scope?.guard : null;
      const wantsFeatures = v === 0 && (guard || o.onFeatures);
      if (o.onFeatures && !engine.score) throw new Error(`engine ${engine.name} does not return features`);
      const scored: EngineScores =
        wantsFeatures && engine.score
          ? await engine.score(batch, ready.length)
          : { probabilities: await engine.predict(batch, ready.length), featureDim: 0 };
      if (v === 0)
        o.onFeatures?.(
          ready.map((r) => i + r.j),
          scored,
        );
      if (guard && scored.features && scored.featureDim === guard.featureDim) {
        const { features, featureDim } = scored;
        ready.forEach((r, k) => {
          const guardScores = guard.score(features.subarray(k * featureDim, (k + 1) * featureDim));
          scope!.verdicts[i + r.j] = contentVerdict(guard, guardScores);
          if (scope!.flags) scope!.flags[i + r.j] = contentFlag(guard, guardScores);
        });
      }
      // Summed in single precision, as the engines' own outputs are: a threshold chosen on float32
      // scores must meet the same values here.
      const out = scored.probabilities;
      ready.forEach((r, k) => (scores[i + r.j] = Math.fround((scores[i + r.j] ?? 0) + out[k]! / o.views.length)));
    }
    // An item left out of any view is left out altogether, never scored on fewer views.
    chunk.forEach((_, j) => sources[j] === null && (scores[i + j] = null));
    o.onBatch?.(scores, i + chunk.length);
    o.onProgress?.(i + chunk.length, items.length);
  }
  return scores;
}
