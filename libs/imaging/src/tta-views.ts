import type { Augmentation } from './augment';

/**
 * Fixed test-time views of a chest film, each one a variation a different site could produce: a
 * tighter field of view (collimation, positioning) and another exposure curve. No horizontal
 * flip: the heart and the gastric bubble sit on the left, so a flipped film is not one any site
 * makes. The views are fixed, not drawn, so the threshold chosen for their average stays valid.
 */
export const TTA_VIEWS = {
  /** The central 92% of the film, stretched back: about 8% closer. */
  zoom: { crop: { left: 0.04, top: 0.04, width: 0.92, height: 0.92 }, contrast: 1, brightness: 0 },
  /** Slightly shifted up and left, 94% field of view. */
  shift: { crop: { left: 0, top: 0, width: 0.94, height: 0.94 }, contrast: 1, brightness: 0 },
  /** 12% more contrast and a darker exposure. */
  exposure: { crop: { left: 0, top: 0, width: 1, height: 1 }, contrast: 1.12, brightness: -12 },
} as const satisfies Record<string, Augmentation>;

export type TtaViewName = keyof typeof TTA_VIEWS;

export const NO_AUGMENTATION: Augmentation = { crop: { left: 0, top: 0, width: 1, height: 1 }, contrast: 1, brightness: 0 };

/** `view` applied to an image already cropped to `outer` (e.g. a stress view): the crops nest,
 * the photometric change is the view's. */
export function nestedView(outer: Augmentation['crop'], view: Augmentation): Augmentation {
  const { crop } = view;
  return {
    crop: {
      left: outer.left + crop.left * outer.width,
      top: outer.top + crop.top * outer.height,
      width: crop.width * outer.width,
      height: crop.height * outer.height,
    },
    contrast: view.contrast,
    brightness: view.brightness,
  };
}

/** Equal-weight mean of several views' scores of the same images (test-time augmentation) or of
 * several models' scores (an ensemble). */
export function averageScores(views: ReadonlyArray<ArrayLike<number>>): Float32Array {
  if (views.length === 0) throw new Error('averageScores needs at least one set of scores');
  const out = new Float32Array(views[0]!.length);
  for (const v of views) {
    if (v.length !== out.length) throw new Error(`scores of ${v.length} images do not match ${out.length}`);
    for (let i = 0; i < out.length; i++) out[i]! += v[i]! / views.length;
  }
  return out;
}
