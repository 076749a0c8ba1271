import type { RgbImage } from '../heatmap-overlay';
import { commonModules, type Producer, sopReference, str } from './common-modules';
import type { DicomSource } from './source';
import { type DicomValue, type Tag, part10 } from './writer';

export const SECONDARY_CAPTURE_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.7';
/** Series numbers of the objects pneumoscreen adds to a study, out of the way of a modality's. */
export const SC_SERIES_NUMBER = 9901;

/**
 * A Secondary Capture Image (PS3.3 A.8.1) of a heatmap: RGB, in its own series of the source's
 * study, derived from the source image (Source Image Sequence). Returns the Part 10 file and the
 * new instance's UIDs, for the study's SR to reference.
 */
export function secondaryCapture(
  image: RgbImage,
  source: DicomSource,
  producer: Producer,
  at: Date,
): { file: Buffer; sopInstanceUid: string; seriesInstanceUid: string } {
  const { ds, sopInstanceUid, seriesInstanceUid } = commonModules({
    sopClassUid: SECONDARY_CAPTURE_SOP_CLASS,
    modality: 'OT',
    seriesNumber: SC_SERIES_NUMBER,
    seriesDescription: 'pneumoscreen heatmaps',
    source,
    producer,
    at,
  });
  const set = (tag: Tag, v: DicomValue) => ds.set(tag, v);
  set(0x00080008, str('CS', ['DERIVED', 'SECONDARY'])); // Image Type
  set(0x00080064, str('CS', 'WSD')); // Conversion Type: workstation
  set(
    0x00082111,
    str(
      'ST',
      `Grad-CAM class-activation map for PNEUMONIA of ${producer.model} ${producer.version}, over the image as the model read it; colour scale 0 (blue) to 1 (red), relative to the image's own maximum`,
    ),
  );
  set(0x00082112, { vr: 'SQ', items: [sopReference(source.sopClassUid, source.sopInstanceUid)] }); // Source Image Sequence
  set(0x00200020, str('CS', '')); // Patient Orientation (Type 2C): unknown after resampling
  set(0x00280002, { vr: 'US', value: 3 });
  set(0x00280004, str('CS', 'RGB'));
  set(0x00280006, { vr: 'US', value: 0 }); // Planar Configuration: RGBRGB...
  set(0x00280010, { vr: 'US', value: image.height });
  set(0x00280011, { vr: 'US', value: image.width });
  set(0x00280100, { vr: 'US', value: 8 });
  set(0x00280101, { vr: 'US', value: 8 });
  set(0x00280102, { vr: 'US', value: 7 });
  set(0x00280103, { vr: 'US', value: 0 });
  set(0x00280301, str('CS', 'NO')); // Burned In Annotation: a colour scale, nothing identifying
  set(0x7fe00010, { vr: 'OB', bytes: image.data });
  return { file: part10(ds), sopInstanceUid, seriesInstanceUid };
}
