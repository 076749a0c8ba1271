import { z } from 'zod';

/** Why an image got no decision: outside the population, projection or kind of image its model
 * version was made for. The first five come from the DICOM header or the image-content guard. */
export const OutOfScopeReason = z.enum(['adult', 'lateral', 'not-chest', 'not-radiograph', 'unlike-training-data']);
export type OutOfScopeReason = z.infer<typeof OutOfScopeReason>;

/** `score`: how far out, 1 at the refusal line and larger beyond it for content checks (distance
 * over its threshold, or the refusing class's probability over its threshold); 1 for a header
 * verdict, which is a fact rather than a measure. Nothing of the header itself is kept. */
export const OutOfScope = z.object({ reason: OutOfScopeReason, score: z.number().nonnegative() });
export type OutOfScope = z.infer<typeof OutOfScope>;

/** Ages in years, both ends included. */
export const Population = z
  .object({ minAgeYears: z.number().min(0), maxAgeYears: z.number().min(0) })
  .refine((p) => p.minAgeYears <= p.maxAgeYears, 'minAgeYears is above maxAgeYears');
export type Population = z.infer<typeof Population>;

/**
 * What a model version was made for, in its manifest. DICOM headers are checked against it and the
 * image-content guard (`guard.json`) refuses what looks unlike it. A version without one keeps the
 * checks every version gets: frontal chest radiographs of any age.
 */
export const IntendedUse = z.object({
  population: Population,
  /** DICOM ViewPosition values judged; AP and PA are the frontal chest projections. */
  projections: z.array(z.enum(['PA', 'AP'])).min(1),
  /** DICOM Modality values judged. */
  modalities: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
  /** DICOM BodyPartExamined values judged (absent values pass). */
  bodyParts: z.array(z.string().regex(/^[A-Z ]{2,16}$/)).min(1),
  /** File kinds judged: `dicom`, and `jpeg`/`png` photos or exports of such films. */
  containers: z.array(z.enum(['dicom', 'jpeg', 'png'])).min(1),
});
export type IntendedUse = z.infer<typeof IntendedUse>;

/** Every version's checks when its manifest names no intended use: what this product classifies. */
export const DEFAULT_INTENDED_USE: IntendedUse = {
  population: { minAgeYears: 0, maxAgeYears: 150 },
  projections: ['PA', 'AP'],
  modalities: ['CR', 'DX', 'DR'],
  bodyParts: ['CHEST', 'THORAX', 'LUNG'],
  containers: ['dicom', 'jpeg', 'png'],
};

/** What `pneumoscreen train` records for a model trained on paediatric films (Kermany et al.: ages
 * 1-5). The upper end is widened to 17: children's chests differ from adults' far more than a
 * 2-year-old's from a 12-year-old's (heart size, thymus, ossification); a site serving older
 * children should still validate on them (`pneumoscreen models scope`). */
export const PAEDIATRIC_CHEST: IntendedUse = { ...DEFAULT_INTENDED_USE, population: { minAgeYears: 0, maxAgeYears: 17 } };

/** `models/<name>/scopes/<version>/<site>.json`: what a site accepts beyond the version's intended
 * use, once it has validated the version on its own population. */
export const SiteScope = z.object({
  version: z.string().min(1),
  site: z.string().min(1),
  /** Replaces the version's population for this site's DICOM headers. */
  population: Population.optional(),
  /** Content reasons the site takes responsibility for: its images are judged anyway. */
  accept: z.array(z.enum(['unlike-training-data'])).default([]),
  note: z.string().max(500).optional(),
  updatedAt: z.string().datetime(),
});
export type SiteScope = z.infer<typeof SiteScope>;
