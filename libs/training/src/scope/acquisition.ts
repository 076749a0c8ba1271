import sharp from 'sharp';

/**
 * One in-scope film as it may reach a worker other than the training copies did: a phone photo or
 * a scan of the film (colour cast, slight tilt, a light-box border, blur or sharpening, JPEG
 * recompression) or an export resized from the full-resolution original. The guard's distance is
 * fitted and its threshold set on these too: fitted on the published 224-px copies alone, it
 * refused 12% of the same training films decoded from their originals and 72% of simulated photos.
 */
export async function acquisitionVariant(rgb: Uint8Array, [h, w]: readonly [number, number], random: () => number): Promise<Uint8Array> {
  let img = sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } });
  if (random() < 0.5) {
    const pad = Math.floor(random() * 0.08 * w);
    const grey = Math.floor(180 + random() * 75);
    img = sharp(
      await img
        .rotate((random() - 0.5) * 10, { background: { r: grey, g: grey, b: grey } })
        .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: grey, g: grey, b: grey } })
        .raw()
        .toBuffer({ resolveWithObject: true })
        .then(({ data, info }) =>
          sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
            .resize(w, h, { fit: 'fill' })
            .raw()
            .toBuffer(),
        ),
      { raw: { width: w, height: h, channels: 3 } },
    );
  }
  if (random() < 0.5) img = img.linear([1 + 0.16 * (random() - 0.5), 1 + 0.16 * (random() - 0.5), 1 + 0.2 * (random() - 0.5)], [0, 0, 0]);
  const r = random();
  if (r < 0.35) img = img.blur(0.3 + random() * 1.2);
  else if (r < 0.7) img = img.sharpen({ sigma: 0.5 + random() });
  const jpeg = await img.jpeg({ quality: Math.floor(40 + random() * 55) }).toBuffer();
  const data = await sharp(jpeg).resize(w, h, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
