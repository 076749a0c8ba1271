import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { StudyId } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.dcm': 'application/dicom' };

export interface LocalStudy {
  studyId: string;
  files: string[];
}

/** One sub-folder per study; the folder name is the study id. */
export async function findStudies(dir: string): Promise<LocalStudy[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new Error(`cannot read the input folder ${dir}`);
  });
  const studies: LocalStudy[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!StudyId.safeParse(e.name).success) throw new Error(`folder "${e.name}" is not a valid study id (A-Z a-z 0-9 . _ -, up to 128)`);
    const files = (await readdir(join(dir, e.name))).filter((f) => TYPES[extname(f).toLowerCase()]).sort();
    if (files.length) studies.push({ studyId: e.name, files: files.map((f) => join(dir, e.name, f)) });
  }
  if (studies.length === 0) throw new Error(`no study folders with .jpg, .jpeg, .png or .dcm files in ${dir}`);
  return studies;
}

/** Uploads a study as a hospital would: the images, then `manifest.json` to mark it complete. */
export async function uploadStudy(store: ObjectStore, bucket: string, prefix: string, study: LocalStudy): Promise<void> {
  await Promise.all(
    study.files.map(async (f) => {
      const name = f.slice(f.lastIndexOf('/') + 1);
      await store.putObject(bucket, `${prefix}${study.studyId}/${name}`, await readFile(f), TYPES[extname(f).toLowerCase()]);
    }),
  );
  await store.putObject(
    bucket,
    `${prefix}${study.studyId}/manifest.json`,
    JSON.stringify({ externalRef: study.studyId }),
    'application/json',
  );
}
