import sharp from 'sharp';

/**
 * Images a chest-film model was not made for, made from in-scope films (8-bit RGB of `size`) or
 * from nothing, for the view head to learn the edges of its scope. None is meant to be what a
 * hospital sends; together they teach "a whole frontal chest film, or not": one lung field
 * stretched to the frame (as a lateral view shows one), a film on its side or upside down, a
 * magnified corner (another body part's bone and soft tissue), and pictures that are not
 * radiographs at all (colour scenes, documents, noise).
 */
export type NegativeKind = 'half-film' | 'rotated' | 'corner' | 'colour-scene' | 'document' | 'noise';

/** The view class each kind teaches (index into VIEW_CLASSES). */
export const NEGATIVE_VIEW: Record<NegativeKind, number> = {
  'half-film': 1,
  rotated: 2,
  corner: 2,
  'colour-scene': 3,
  document: 3,
  noise: 3,
};

export const FILM_NEGATIVES: NegativeKind[] = ['half-film', 'rotated', 'corner'];
export const SYNTHETIC_NEGATIVES: NegativeKind[] = ['colour-scene', 'document', 'noise'];

type Size = readonly [number, number];

export async function filmNegative(kind: NegativeKind, rgb: Uint8Array, [h, w]: Size, random: () => number): Promise<Uint8Array> {
  const img = () => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  let out: sharp.Sharp;
  if (kind === 'half-film') {
    const width = Math.round(w * (0.35 + 0.15 * random()));
    const left = random() < 0.5 ? Math.round(w * 0.05 * random()) : w - width - Math.round(w * 0.05 * random());
    out = sharp(await img().extract({ left, top: 0, width, height: h }).toBuffer(), { raw: { width, height: h, channels: 3 } });
  } else if (kind === 'rotated') {
    const angle = [90, 180, 270][Math.floor(random() * 3)]!;
    out = sharp(await img().rotate(angle).raw().toBuffer(), {
      raw: angle === 180 ? { width: w, height: h, channels: 3 } : { width: h, height: w, channels: 3 },
    });
  } else if (kind === 'corner') {
    const size = 0.3 + 0.15 * random();
    const width = Math.round(w * size);
    const height = Math.round(h * size);
    const left = random() < 0.5 ? 0 : w - width;
    const top = random() < 0.5 ? 0 : h - height;
    out = sharp(await img().extract({ left, top, width, height }).toBuffer(), { raw: { width, height, channels: 3 } });
  } else {
    throw new Error(`${kind} is not made from a film`);
  }
  return raw(out.resize(w, h, { fit: 'fill' }));
}

export async function syntheticNegative(kind: NegativeKind, [h, w]: Size, random: () => number): Promise<Uint8Array> {
  const colour = () => `rgb(${Math.floor(random() * 256)},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`;
  if (kind === 'colour-scene') {
    const shapes = Array.from({ length: 4 + Math.floor(random() * 12) }, () =>
      random() < 0.5
        ? `<circle cx="${random() * w}" cy="${random() * h}" r="${5 + random() * w * 0.3}" fill="${colour()}" opacity="${0.4 + 0.6 * random()}"/>`
        : `<rect x="${random() * w}" y="${random() * h}" width="${10 + random() * w * 0.5}" height="${10 + random() * h * 0.5}" fill="${colour()}" opacity="${0.4 + 0.6 * random()}"/>`,
    ).join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="${random()}" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>${shapes}</svg>`;
    return raw(
      sharp(Buffer.from(svg))
        .blur(0.3 + random() * 2)
        .resize(w, h, { fit: 'fill' }),
    );
  }
  if (kind === 'document') {
    const paper = Math.floor(215 + random() * 40);
    const size = 7 + random() * 8;
    const lines = Array.from({ length: Math.floor(h / (size * 1.6)) }, (_, i) => {
      const words = Array.from({ length: 3 + Math.floor(random() * 6) }, () =>
        'x'.repeat(2 + Math.floor(random() * 8)).replace(/x/g, () => String.fromCharCode(97 + Math.floor(random() * 26))),
      ).join(' ');
      return `<text x="${6 + random() * 10}" y="${(i + 1) * size * 1.6}" font-size="${size}" font-family="sans-serif" fill="rgb(20,20,${Math.floor(random() * 120)})">${words}</text>`;
    }).join('');
    const rule = random() < 0.5 ? `<rect x="4" y="4" width="${w - 8}" height="${h - 8}" fill="none" stroke="black" stroke-width="1"/>` : '';
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="rgb(${paper},${paper},${paper - Math.floor(random() * 20)})"/>${rule}${lines}</svg>`;
    return raw(sharp(Buffer.from(svg)).resize(w, h, { fit: 'fill' }));
  }
  if (kind === 'noise') {
    const cells = 2 + Math.floor(random() * 30);
    const grey = random() < 0.3;
    const data = Buffer.alloc(cells * cells * 3);
    for (let i = 0; i < data.length; i += 3) {
      const v = random() * 256;
      data[i] = grey ? v : random() * 256;
      data[i + 1] = grey ? v : random() * 256;
      data[i + 2] = grey ? v : random() * 256;
    }
    return raw(
      sharp(data, { raw: { width: cells, height: cells, channels: 3 } }).resize(w, h, {
        fit: 'fill',
        kernel: random() < 0.5 ? 'nearest' : 'cubic',
      }),
    );
  }
  throw new Error(`${kind} is made from a film`);
}

async function raw(img: sharp.Sharp): Promise<Uint8Array> {
  const data = await img.removeAlpha().toColourspace('srgb').raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
