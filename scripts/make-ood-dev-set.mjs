#!/usr/bin/env node
// Builds the development set for `pneumoscreen eval --ood-data`: images the released model must
// refuse, made from the version's VALIDATION films (never seen when its guard was fitted), with a
// seed the fit never used, plus kinds the fit never saw (grey scenes, real adult and non-chest
// DICOMs rendered as PNG with no header, photographed-film variants kept in scope).
//   node scripts/make-ood-dev-set.mjs OUT_DIR [--data ../shared/data/kermany224-train] [--dicom ../shared/data/dicom] [--per N]
// writes OUT_DIR/ood/<group>/ (for --ood-data), OUT_DIR/in-scope-validation/ and
// OUT_DIR/in-scope-photos/ (NORMAL/ and PNEUMONIA/, for --data).
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeToRgb, augmentRgb, randomAugmentation } from '@pneumoscreen/imaging';
import { filmNegative, syntheticNegative } from '@pneumoscreen/training';
import { listDataset, patientSplit, mulberry32 } from '@pneumoscreen/evaluation';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: '../shared/data/kermany224-train' },
    dicom: { type: 'string', default: '../shared/data/dicom' },
    per: { type: 'string', default: '100' },
  },
});
const out = positionals[0];
if (!out) throw new Error('usage: make-ood-dev-set.mjs OUT_DIR');
const per = Number(values.per);
const size = [224, 224];
const random = mulberry32(2026);
const images = await listDataset(values.data);
const val = patientSplit(images, 0.18, 42).val.map((i) => images[i]);
const film = async (img) => decodeToRgb(await readFile(img.path), size);
const png = (rgb, w = 224, h = 224) =>
  sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
const save = async (group, name, buf) => {
  const dir = path.join(out, group.startsWith('in-scope') ? '' : 'ood', group);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, name), buf);
};
// In scope: the validation films themselves (links), for `eval --data OUT/in-scope-validation`.
for (const v of val) {
  const dir = path.join(out, 'in-scope-validation', v.label ? 'PNEUMONIA' : 'NORMAL');
  await mkdir(dir, { recursive: true });
  await symlink(path.resolve(v.path), path.join(dir, path.basename(v.path))).catch((e) => {
    if (e.code !== 'EEXIST') throw e;
  });
}

let next = 0;
for (const kind of ['half-film', 'rotated', 'corner']) {
  for (let i = 0; i < per; i++)
    await save(kind, `${i}.png`, await png(await filmNegative(kind, await film(val[next++ % val.length]), size, random)));
}
for (const kind of ['colour-scene', 'document', 'noise']) {
  for (let i = 0; i < per; i++) await save(kind, `${i}.png`, await png(await syntheticNegative(kind, size, random)));
}
// Unseen by the fit: the colour scenes in grey, and soft grey blobs at film-like contrast.
for (let i = 0; i < per; i++) {
  const rgb = await syntheticNegative('colour-scene', size, random);
  await save(
    'grey-scene',
    `${i}.png`,
    await sharp(Buffer.from(rgb), { raw: { width: 224, height: 224, channels: 3 } })
      .greyscale()
      .toColourspace('srgb')
      .png()
      .toBuffer(),
  );
}
// Real films outside the population or body part, header stripped (rendered to PNG), plus
// crops and exposure changes of each: as a JPEG export of them would arrive.
const dicoms = { adult: ['nih_cxr_nofinding_DX_nhsx.dcm', 'CR-MONO1-10-chest.dcm', 'RG1_J2KI.dcm'], 'non-chest': ['nhsx_sample.dcm'] };
for (const [group, files] of Object.entries(dicoms)) {
  for (const f of files) {
    const rgb = await decodeToRgb(asRadiograph(await readFile(path.join(values.dicom, f))), size);
    await save(group, `${f}.png`, await png(rgb));
    for (let i = 0; i < 9; i++) await save(group, `${f}-${i}.png`, await png(await augmentRgb(rgb, size, randomAugmentation(random))));
  }
}
// In scope: validation films as a phone photo of a film would show them (colour cast, slight
// rotation, a lightbox border, blur). Measure with --data: they must pass.
for (const [label, dir] of [
  [0, 'NORMAL'],
  [1, 'PNEUMONIA'],
]) {
  const films = val.filter((v) => v.label === label).slice(0, per);
  for (const [i, v] of films.entries()) {
    const rgb = await film(v);
    const tint = { r: 1 + 0.15 * (random() - 0.5), g: 1 + 0.15 * (random() - 0.5), b: 1 + 0.2 * (random() - 0.5) };
    const pad = Math.floor(6 + random() * 14);
    const photo = await sharp(Buffer.from(rgb), { raw: { width: 224, height: 224, channels: 3 } })
      .rotate((random() - 0.5) * 8, { background: '#e8e8f0' })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: '#f0f0f6' })
      .resize(224, 224, { fit: 'fill' })
      .linear([tint.r, tint.g, tint.b], [0, 0, 0])
      .blur(0.3 + random())
      .jpeg({ quality: 70 })
      .toBuffer();
    await save(`in-scope-photos/${dir}`, `${path.basename(v.path)}`, photo);
  }
}
console.log(`wrote ${out}`);

/** The decoder refuses modality OT outright; for its pixels alone, call it CR (implicit VR LE). */
function asRadiograph(bytes) {
  const tag = Buffer.from([0x08, 0x00, 0x60, 0x00, 0x02, 0x00, 0x00, 0x00, 0x4f, 0x54]);
  const at = bytes.indexOf(tag);
  if (at >= 0) bytes.write('CR', at + 8, 'latin1');
  return bytes;
}
