import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

/** One file of the variant set: the same radiograph in another container or encoding. */
export interface ContainerVariant {
  name: string;
  file: string;
  /** dcmj2pnm options that render the file as a viewer shows it (how its VOI says), or none for
   * the bare JPEG and PNG. */
  render?: string[];
  /** dcmj2pnm decodes neither JPEG 2000 nor JPEG-LS: the file is decompressed first, by GDCM's
   * `gdcmconv --raw` or DCMTK's `dcmdjpls`. */
  decompress?: 'gdcmconv' | 'dcmdjpls';
  /** Lossy (JPEG-LS near-lossless): its pixels are DCMTK's rendering of it, not the JPEG's. */
  lossy?: boolean;
}

export interface VariantSet {
  variants: ContainerVariant[];
  /** The radiograph's 8-bit grey pixels as DCMTK decodes the JPEG (dcmj2pnm), row-major. */
  reference: { width: number; height: number; grey: Uint8Array };
}

const run = promisify(execFile);

/** Runs a DCMTK or GDCM tool, naming the Debian package to install when it is missing. */
async function tool(name: string, args: string[]): Promise<string> {
  try {
    return (await run(name, args, { maxBuffer: 64 << 20 })).stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`${name} is not installed (apt-get install dcmtk libgdcm-tools; .ci/run does)`);
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/** The header a chest radiograph the model may judge carries (frontal, chest, radiography, a child). */
const JUDGEABLE = ['-k', '0008,0060=DX', '-k', '0018,0015=CHEST', '-k', '0018,5101=PA', '-k', '0010,1010=004Y'];

/**
 * Builds, with DCMTK (and GDCM for JPEG 2000), one grey JPEG radiograph in every container the
 * reader accepts: the JPEG, its PNG, and DICOM files whose pixels all display as the JPEG's
 * decoded pixels. 16-bit variants hold the 8-bit values v as 12-bit stored values (16v, or
 * 4095 - 16v for MONOCHROME1) with the rescale, window, VOI LUT or (no VOI) minimum-to-maximum
 * stretch that maps them back to v exactly.
 * `dir` receives the variants and nothing else.
 */
export async function buildContainerVariants(sourceJpeg: string, dir: string): Promise<VariantSet> {
  const scratch = await mkdtemp(join(tmpdir(), 'variants-scratch-'));
  try {
    return await build(sourceJpeg, dir, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function build(sourceJpeg: string, dir: string, scratch: string): Promise<VariantSet> {
  const at = (name: string) => join(dir, name);
  const temp = (name: string) => join(scratch, name);
  const variants: ContainerVariant[] = [];
  const add = (name: string, file: string, render?: string[]) =>
    variants.push({
      name,
      file: at(file),
      ...(render ? { render } : {}),
      ...(/jpeg2000/.test(file) ? { decompress: 'gdcmconv' as const } : /jpeg-ls/.test(file) ? { decompress: 'dcmdjpls' as const } : {}),
      ...(/near-lossless/.test(file) ? { lossy: true } : {}),
    });

  await copyFile(sourceJpeg, at('bare.jpeg'));
  add('JPEG', 'bare.jpeg');
  await tool('img2dcm', [...JUDGEABLE, at('bare.jpeg'), at('jpeg-baseline.dcm')]);
  add('DICOM JPEG baseline (img2dcm)', 'jpeg-baseline.dcm', []);
  await tool('dcmdjpeg', [at('jpeg-baseline.dcm'), at('explicit-le.dcm')]);
  add('DICOM explicit VR little endian', 'explicit-le.dcm', []);
  await tool('dcmj2pnm', ['--write-png', at('explicit-le.dcm'), at('pixels.png')]);
  add('PNG', 'pixels.png');
  await tool('dcmconv', ['+ti', at('explicit-le.dcm'), at('implicit-le.dcm')]);
  add('DICOM implicit VR little endian', 'implicit-le.dcm', []);
  await encodings(at('explicit-le.dcm'), '8-bit', [], add, at);

  const reference = await renderWithDcmtk({ file: at('explicit-le.dcm') }, scratch);
  const v = reference.grey;
  const words = (f: (v: number) => number) => {
    const out = Buffer.alloc(v.length * 2);
    for (let i = 0; i < v.length; i++) out.writeInt16LE(f(v[i]!), i * 2);
    return out;
  };
  const deep = async (file: string, pixels: Buffer, edits: string[]) => {
    await copyFile(at('explicit-le.dcm'), at(file));
    await writeFile(temp(`${file}.raw`), pixels);
    await tool('dcmodify', [
      '-nb',
      '-m',
      '(0028,0100)=16',
      '-m',
      '(0028,0101)=12',
      '-m',
      '(0028,0102)=11',
      ...edits,
      '-if',
      `(7fe0,0010)=${temp(`${file}.raw`)}`,
      at(file),
    ]);
  };
  // The LINEAR window (PS3.3 C.11.2.1.2.1) 2040.5/4081 maps 0..4080 onto 0..1, so 16v onto v/255;
  // DCMTK and this reader both apply it as the standard says, even to lossy data beyond 4080.
  const window = ['-i', '(0028,1050)=2040.5', '-i', '(0028,1051)=4081'];
  await deep(
    'bits12.dcm',
    words((x) => 16 * x),
    window,
  );
  add('DICOM 16-bit, 12 stored, window', 'bits12.dcm', ['+Wi', '1']);
  await encodings(at('bits12.dcm'), '16-bit, 12 stored', ['+Wi', '1'], add, at);
  await deep(
    'monochrome1.dcm',
    words((x) => 4095 - 16 * x),
    ['-m', '(0028,0004)=MONOCHROME1'],
  );
  add('DICOM MONOCHROME1, no VOI (min-max)', 'monochrome1.dcm', ['+Wm']);
  // Modality value 2s - 1000 = 16v.
  await deep(
    'rescale-window.dcm',
    words((x) => 8 * x + 500),
    ['-i', '(0028,1053)=2', '-i', '(0028,1052)=-1000', ...window],
  );
  add('DICOM rescale slope/intercept + window', 'rescale-window.dcm', ['+Wi', '1']);
  await deep(
    'signed-rescale-window.dcm',
    words((x) => 8 * x - 1020),
    ['-m', '(0028,0103)=1', '-i', '(0028,1053)=2', '-i', '(0028,1052)=2040', ...window],
  );
  add('DICOM signed, rescale + window', 'signed-rescale-window.dcm', ['+Wi', '1']);
  const lut = Buffer.alloc(4096 * 2);
  for (let x = 0; x < 4096; x++) lut.writeUInt16LE(Math.min(255, Math.round(x / 16)), x * 2);
  await writeFile(temp('voi-lut.raw'), lut);
  await deep(
    'voi-lut.dcm',
    words((x) => 16 * x),
    [
      '-i',
      '(0028,3010)[0].(0028,3002)=4096\\0\\8',
      '-if',
      `(0028,3010)[0].(0028,3006)=${temp('voi-lut.raw')}`,
      '-i',
      '(0028,1050)=1000',
      '-i',
      '(0028,1051)=500',
    ],
  );
  add('DICOM VOI LUT (and a window it overrides)', 'voi-lut.dcm', ['+Wl', '1']);
  for (const [stem, label, render] of [
    ['explicit-le', '8-bit', []],
    ['bits12', '16-bit, 12 stored', ['+Wi', '1']],
    ['voi-lut', 'VOI LUT', ['+Wl', '1']],
  ] as const) {
    await tool('dcmconv', ['+tb', at(`${stem}.dcm`), at(`${stem}-big-endian.dcm`)]);
    add(`DICOM ${label} explicit VR big endian`, `${stem}-big-endian.dcm`, [...render]);
    await tool('dcmconv', ['+td', at(`${stem}.dcm`), at(`${stem}-deflated.dcm`)]);
    add(`DICOM ${label} deflated explicit VR little endian`, `${stem}-deflated.dcm`, [...render]);
  }
  return { variants, reference };
}

/** The lossless compressed encodings of an uncompressed file. */
async function encodings(
  source: string,
  label: string,
  render: string[],
  add: (name: string, file: string, render?: string[]) => void,
  at: (f: string) => string,
) {
  const stem = source.replace(/^.*\//, '').replace(/\.dcm$/, '');
  await tool('dcmcjpeg', [source, at(`${stem}-jpeg-lossless-sv1.dcm`)]);
  add(`DICOM ${label} JPEG lossless SV1`, `${stem}-jpeg-lossless-sv1.dcm`, render);
  await tool('dcmcjpeg', ['--encode-lossless', source, at(`${stem}-jpeg-lossless.dcm`)]);
  add(`DICOM ${label} JPEG lossless (process 14)`, `${stem}-jpeg-lossless.dcm`, render);
  await tool('dcmcrle', [source, at(`${stem}-rle.dcm`)]);
  add(`DICOM ${label} RLE lossless`, `${stem}-rle.dcm`, render);
  await tool('gdcmconv', ['--j2k', source, at(`${stem}-jpeg2000.dcm`)]);
  add(`DICOM ${label} JPEG 2000 lossless (gdcmconv)`, `${stem}-jpeg2000.dcm`, render);
  await tool('dcmcjpls', [source, at(`${stem}-jpeg-ls.dcm`)]);
  add(`DICOM ${label} JPEG-LS lossless`, `${stem}-jpeg-ls.dcm`, render);
  await tool('dcmcjpls', ['--encode-nearlossless', source, at(`${stem}-jpeg-ls-near-lossless.dcm`)]);
  add(`DICOM ${label} JPEG-LS near-lossless`, `${stem}-jpeg-ls-near-lossless.dcm`, render);
}

/** dcmj2pnm's rendering of a variant (or any DICOM file), as 8-bit grey. */
export async function renderWithDcmtk(
  variant: Pick<ContainerVariant, 'file' | 'render' | 'decompress'>,
  scratch = tmpdir(),
): Promise<{ width: number; height: number; grey: Uint8Array }> {
  const stem = join(scratch, `${process.pid}-${basename(variant.file)}`);
  const file = variant.decompress ? await decompressWithToolkit(variant, `${stem}.raw.dcm`) : variant.file;
  const out = `${stem}.pgm`;
  try {
    await tool('dcmj2pnm', [...(variant.render ?? []), '--write-raw-pnm', file, out]);
    return readPgm(await readFile(out));
  } finally {
    await rm(out, { force: true });
    if (file !== variant.file) await rm(file, { force: true });
  }
}

/** The variant uncompressed (explicit VR little endian) by DCMTK or GDCM, written to `out`. */
export async function decompressWithToolkit(variant: Pick<ContainerVariant, 'file' | 'decompress'>, out: string): Promise<string> {
  const how = variant.decompress ?? 'dcmdjpls';
  await tool(how, [...(how === 'gdcmconv' ? ['--raw'] : []), variant.file, out]);
  return out;
}

/** A binary 8-bit PGM (P5), as dcmj2pnm writes it. */
function readPgm(bytes: Buffer): { width: number; height: number; grey: Uint8Array } {
  const header = bytes
    .subarray(0, 64)
    .toString('latin1')
    .match(/^P5\s+(\d+)\s+(\d+)\s+255\s/);
  if (!header) throw new Error('not an 8-bit binary PGM');
  const [width, height] = [Number(header[1]), Number(header[2])];
  return { width, height, grey: new Uint8Array(bytes.subarray(header[0].length, header[0].length + width * height)) };
}
