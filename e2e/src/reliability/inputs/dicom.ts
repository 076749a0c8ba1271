import { TS, writeDicom, xray, type Item } from '@pneumoscreen/imaging/testing';
import { imagesInOneStudy, type BadInputRecord, type InputContext } from './bad-input';

const UID = 0x0020000d;
const ROWS = 0x00280010;
const COLUMNS = 0x00280011;
const pixels = (n: number) => new Uint16Array(n).fill(1000);
/** Without a StudyInstanceUID, so each file stays in the folder's study and answers there. */
const chest = (spec: Parameters<typeof xray>[0]) => xray({ ...spec, omit: [UID, ...(spec.omit ?? [])] });

function nested(depth: number): Item {
  let item: Item = [[0x00080100, 'SH', 'X']];
  for (let d = 0; d < depth; d++) item = [[0x00400260, 'SQ', [item]]];
  return item;
}

/** DICOM files whose headers lie, overflow or point nowhere: each must be refused by name. */
export async function hostileDicom(ctx: InputContext): Promise<BadInputRecord[]> {
  const fine = () => writeDicom(chest({ rows: 64, columns: 64, pixels: pixels(64 * 64) }));
  const hugeLength = Buffer.concat([
    fine(),
    Buffer.from([0x09, 0x00, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xf0, 0xff, 0xff, 0xff]),
    Buffer.alloc(16),
  ]);
  const items = [
    { name: 'claims-65535x65535.dcm', body: writeDicom(chest({ rows: 65_535, columns: 65_535, pixels: pixels(64) })) },
    {
      name: 'bits-allocated-32.dcm',
      body: writeDicom(chest({ rows: 8, columns: 8, pixels: pixels(128), extra: [[0x00280100, 'US', 32]] })),
    },
    { name: 'bits-stored-over-allocated.dcm', body: writeDicom(chest({ rows: 8, columns: 8, bitsStored: 24, pixels: pixels(64) })) },
    { name: 'palette-colour.dcm', body: writeDicom(chest({ rows: 8, columns: 8, photometric: 'PALETTE COLOR', pixels: pixels(64) })) },
    {
      name: 'three-samples-mono.dcm',
      body: writeDicom(chest({ rows: 8, columns: 8, pixels: pixels(64), extra: [[0x00280002, 'US', 3]] })),
    },
    { name: 'hundred-thousand-frames.dcm', body: writeDicom(chest({ rows: 64, columns: 64, frames: 100_000, pixels: pixels(64 * 64) })) },
    { name: 'zero-rows.dcm', body: writeDicom(chest({ rows: 0, columns: 64, pixels: pixels(64) })) },
    { name: 'no-pixel-data.dcm', body: writeDicom(chest({ rows: 64, columns: 64 })) },
    { name: 'no-rows-or-columns.dcm', body: writeDicom(chest({ rows: 1, columns: 1, pixels: pixels(64), omit: [ROWS, COLUMNS] })) },
    {
      name: 'unknown-transfer-syntax.dcm',
      body: writeDicom(chest({ rows: 8, columns: 8, pixels: pixels(64) }), { transferSyntax: '1.2.3.4.5.6.7.8' }),
    },
    {
      name: 'jpeg2000-noise.dcm',
      body: writeDicom(chest({ rows: 10_000, columns: 10_000 }), {
        transferSyntax: TS.jpeg2000Lossless,
        encapsulated: { fragments: [Buffer.alloc(3000, 0x4f)] },
      }),
    },
    {
      name: 'jpeg-baseline-noise.dcm',
      body: writeDicom(chest({ rows: 512, columns: 512, bitsAllocated: 8 }), {
        transferSyntax: TS.jpegBaseline,
        encapsulated: { fragments: [Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 0])] },
      }),
    },
    {
      name: 'rle-noise.dcm',
      body: writeDicom(chest({ rows: 512, columns: 512, bitsAllocated: 8 }), {
        transferSyntax: TS.rle,
        encapsulated: { fragments: [Buffer.alloc(64, 0xff)] },
      }),
    },
    {
      name: 'jpeg-ls-noise.dcm',
      body: writeDicom(chest({ rows: 512, columns: 512 }), {
        transferSyntax: TS.jpegLs,
        encapsulated: { fragments: [Buffer.alloc(64, 0x01)] },
      }),
    },
    { name: 'element-length-4-gib.dcm', body: hugeLength },
    { name: 'sequences-300-deep.dcm', body: writeDicom([...chest({ rows: 8, columns: 8, pixels: pixels(64) }), ...nested(300)]) },
    { name: 'preamble-only.dcm', body: Buffer.concat([Buffer.alloc(128), Buffer.from('DICM')]) },
    { name: 'bare-dataset-noise', body: Buffer.concat([Buffer.from([0x08, 0x00, 0x05, 0x00]), Buffer.alloc(1024, 0xee)]) },
  ];
  return imagesInOneStudy(ctx, () => 'hostile-dicom', items);
}
