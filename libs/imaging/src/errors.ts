/** Why an image could not become model input. Callers map this to a per-image failure instead of
 * retrying: the same bytes will fail the same way. `refused`: readable, but not something the model
 * may judge (a DICOM that is not a frontal chest radiograph). */
export type ImageDecodeReason = 'empty' | 'unsupported-format' | 'corrupt' | 'too-many-pixels' | 'refused';

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
  constructor(
    readonly reason: ImageDecodeReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
