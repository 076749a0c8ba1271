import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PAEDIATRIC_CHEST, type IntendedUse, type ModelManifest } from '@pneumoscreen/contracts';
import { augmentRgb, decodeToRgb, normaliseInto, randomAugmentation } from '@pneumoscreen/imaging';
import type { ModelEngine, EngineOptions } from '@pneumoscreen/inference';
import { loadModelVersion, ScopeGuard, scoreItems, type GuardFile } from '@pneumoscreen/inference';
import { MANIFEST_FILE, GUARD_FILE } from '@pneumoscreen/model-format';
import { listDataset, type LabelledImage, mulberry32, patientSplit } from '@pneumoscreen/evaluation';
import { acquisitionVariant } from './acquisition';
import { fitGuard, type GuardSample } from './fit-guard';
import { FILM_NEGATIVES, NEGATIVE_VIEW, SYNTHETIC_NEGATIVES, filmNegative, syntheticNegative } from './negatives';

/** Negatives of each kind, made from different films. */
export const NEGATIVES_PER_KIND = 300;
/** Share of the training patients held out of the fit to set the thresholds on. */
const CALIBRATION_FRACTION = 0.15;

export interface FitVersionOptions {
  versionDir: string;
  /** The version's training data (NORMAL/ and PNEUMONIA/ folders): the split recorded in its
   * manifest keeps validation patients out of the fit. */
  dataDir: string;
  engine?: EngineOptions;
  /** Recorded when the manifest names none. */
  intendedUse?: IntendedUse;
  /** Full-resolution originals of some training films (same file names, e.g.
   * kermany-original-sample): decoded and resized here as workers do, they reach the model
   * without the published copies' 224-px JPEG artefacts, so they join the fit and the threshold
   * films of their side of the split; those of validation patients are only measured. */
  originalsDir?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface FitVersionResult {
  guard: GuardFile;
  file: string;
  /** Share of the version's validation films the guard refuses. */
  validationRefused: number;
  manifestUpdated: boolean;
}

/** Fits and writes `<versionDir>/guard.json` (and the intended use into the manifest, when it has
 * none) for an existing version: what `pneumoscreen models guard` runs. */
export async function fitGuardForVersion(opts: FitVersionOptions): Promise<FitVersionResult> {
  const { manifest, engine } = await loadModelVersion(opts.versionDir, opts.engine ?? {});
  try {
    const images = await listDataset(opts.dataDir);
    const split = manifestSplit(manifest);
    const { train, val } = patientSplit(images, split.valFraction, split.seed);
    const trainImages = train.map((i) => images[i]!);
    const inner = patientSplit(trainImages, CALIBRATION_FRACTION, split.seed + 1);
    const fit = inner.train.map((i) => trainImages[i]!);
    const calibration = inner.val.map((i) => trainImages[i]!);
    const validation = val.map((i) => images[i]!);
    const originals = opts.originalsDir
      ? await originalsBySide(opts.originalsDir, { fit, calibration, validation })
      : { fit: [], calibration: [], validation: [] };
    const guard = await fitGuardOn(engine, manifest, { fit, calibration, originals }, opts.onProgress);
    const loaded = new ScopeGuard(guard);
    const measure = async (films: LabelledImage[], stage: string) => {
      const features = await featuresOf(
        engine,
        manifest,
        films.map((img) => () => film(img, manifest)),
        (n) => opts.onProgress?.(stage, n, films.length),
      );
      const refused = features.filter((f) => loaded.verdict(loaded.score(f)) !== null).length;
      return { images: films.length, refused, share: films.length ? refused / films.length : 0 };
    };
    const valResult = await measure(validation, 'validation');
    guard.fit = {
      ...guard.fit,
      validation: valResult,
      ...(opts.originalsDir ? { validationOriginals: await measure(originals.validation, 'validation originals') } : {}),
    };
    const refused = valResult.refused;
    const file = path.join(opts.versionDir, GUARD_FILE);
    await fs.writeFile(file, JSON.stringify(guard) + '\n');
    let manifestUpdated = false;
    if (!manifest.intendedUse) {
      const raw = JSON.parse(await fs.readFile(path.join(opts.versionDir, MANIFEST_FILE), 'utf8'));
      raw.intendedUse = opts.intendedUse ?? PAEDIATRIC_CHEST;
      await fs.writeFile(path.join(opts.versionDir, MANIFEST_FILE), JSON.stringify(raw, null, 2) + '\n');
      manifestUpdated = true;
    }
    return { guard, file, validationRefused: refused / validation.length, manifestUpdated };
  } finally {
    await engine.dispose();
  }
}

/** Fits a guard with a version's engine: in-scope films of `fit` (plain, one training-augmented
 * and one acquisition-varied copy each), negatives made from them and from nothing, thresholds on
 * `calibration` (plain and acquisition-varied). */
export async function fitGuardOn(
  engine: ModelEngine,
  manifest: ModelManifest,
  data: { fit: LabelledImage[]; calibration: LabelledImage[]; originals?: { fit: LabelledImage[]; calibration: LabelledImage[] } },
  onProgress?: (stage: string, done: number, total: number) => void,
): Promise<GuardFile> {
  const size = manifest.preprocessing.inputSize;
  const random = mulberry32(7);
  const fitFilms = [...data.fit, ...(data.originals?.fit ?? [])];
  const plain = fitFilms.map((img) => () => film(img, manifest));
  const augmented = fitFilms.map((img) => async () => augmentRgb(await film(img, manifest), size, randomAugmentation(random)));
  const acquired = fitFilms.map((img) => async () => acquisitionVariant(await film(img, manifest), size, random));
  const inScope = await featuresOf(engine, manifest, [...plain, ...augmented, ...acquired], (n) =>
    onProgress?.('in-scope films', n, plain.length * 3),
  );
  const makers: Array<{ view: number; make: () => Promise<Uint8Array> }> = [];
  let next = 0;
  for (const kind of FILM_NEGATIVES) {
    for (let i = 0; i < NEGATIVES_PER_KIND; i++) {
      const img = data.fit[next++ % data.fit.length]!;
      makers.push({ view: NEGATIVE_VIEW[kind], make: async () => filmNegative(kind, await film(img, manifest), size, random) });
    }
  }
  for (const kind of SYNTHETIC_NEGATIVES) {
    for (let i = 0; i < NEGATIVES_PER_KIND; i++)
      makers.push({ view: NEGATIVE_VIEW[kind], make: () => syntheticNegative(kind, size, random) });
  }
  const negativeFeatures = await featuresOf(
    engine,
    manifest,
    makers.map((m) => m.make),
    (n) => onProgress?.('negatives', n, makers.length),
  );
  const negatives: GuardSample[] = negativeFeatures.map((features, i) => ({ features, view: makers[i]!.view }));
  const heldFilms = [...data.calibration, ...(data.originals?.calibration ?? [])];
  const held = [
    ...heldFilms.map((img) => () => film(img, manifest)),
    ...heldFilms.map((img) => async () => acquisitionVariant(await film(img, manifest), size, random)),
  ];
  const calibration = await featuresOf(engine, manifest, held, (n) => onProgress?.('held-out films', n, held.length));
  const guard = fitGuard({ featureDim: inScope[0]!.length, inScope, negatives, calibration });
  guard.fit = {
    inScope: inScope.length,
    originals: { fit: data.originals?.fit.length ?? 0, calibration: data.originals?.calibration.length ?? 0 },
    negatives: Object.fromEntries([...FILM_NEGATIVES, ...SYNTHETIC_NEGATIVES].map((k) => [k, NEGATIVES_PER_KIND])),
    calibration: calibration.length,
    falseRefusalPerCheck: 0.005,
  };
  return guard;
}

/** Pooled backbone features of each image, as the engine computes them for the classifier. */
export async function featuresOf(
  engine: ModelEngine,
  manifest: ModelManifest,
  makers: Array<() => Promise<Uint8Array>>,
  onProgress?: (done: number) => void,
): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(makers.length);
  await scoreItems(engine, makers, {
    read: (make) => make(),
    name: () => `image of version ${manifest.version}`,
    views: [
      async (rgb) => {
        const input = new Float32Array(rgb.length);
        normaliseInto(rgb, manifest.preprocessing.mode, input, 0);
        return input;
      },
    ],
    onFeatures: (indices, { features, featureDim }) => {
      if (!features || !featureDim)
        throw new Error(`version ${manifest.version} exposes no pooled features (no ${'features_gap'} layer); it cannot have a guard`);
      indices.forEach((index, j) => (out[index] = features.slice(j * featureDim, (j + 1) * featureDim)));
    },
    onProgress: onProgress && ((done) => onProgress(done)),
  });
  return out;
}

async function film(img: { path: string }, manifest: ModelManifest): Promise<Uint8Array> {
  return decodeToRgb(await fs.readFile(img.path), manifest.preprocessing.inputSize);
}

/** The originals whose file name matches a training film, by the side of the split it is on. */
async function originalsBySide(
  dir: string,
  sides: Record<'fit' | 'calibration' | 'validation', LabelledImage[]>,
): Promise<Record<'fit' | 'calibration' | 'validation', LabelledImage[]>> {
  const side = new Map<string, 'fit' | 'calibration' | 'validation'>();
  for (const [name, films] of Object.entries(sides) as Array<['fit' | 'calibration' | 'validation', LabelledImage[]]>)
    for (const f of films) side.set(`${f.label}/${path.basename(f.path)}`, name);
  const out: Record<'fit' | 'calibration' | 'validation', LabelledImage[]> = { fit: [], calibration: [], validation: [] };
  for (const o of await listDataset(dir)) {
    const s = side.get(`${o.label}/${path.basename(o.path)}`);
    if (s) out[s].push(o);
  }
  return out;
}

function manifestSplit(manifest: ModelManifest): { seed: number; valFraction: number } {
  const split = (manifest.data['split'] ?? {}) as { seed?: unknown; valFraction?: unknown };
  return {
    seed: typeof split.seed === 'number' ? split.seed : 42,
    valFraction: typeof split.valFraction === 'number' ? split.valFraction : 0.18,
  };
}
