import type { StudyResult } from '@pneumoscreen/contracts';
import type { TenantId } from '../stack';
import { mustTake, type BadInputRecord, type InputContext, type InputKind } from './bad-input';

/**
 * A study of one good X-ray whose `manifest.json` is `manifest`, uploaded last; resolves with its
 * result. Shared by the manifest and callback inputs.
 */
export async function studyWithManifest(
  ctx: InputContext,
  label: string,
  manifest: Buffer | string,
  tenant: TenantId = 'a',
): Promise<StudyResult> {
  const { folder, studyId } = ctx.workload.nextFolder(tenant, label);
  const image = `incoming/${folder}/0.jpeg`;
  await mustTake(ctx.stack, image, ctx.workload.pickXray());
  await mustTake(ctx.stack, `incoming/${folder}/manifest.json`, manifest);
  ctx.workload.expect({ studyId, tenant, keys: [image] });
  return ctx.resultOf(studyId);
}

/** Manifests that are not JSON, not objects, of the wrong types or too big: the study still runs
 * on its images, and its result says the manifest was not used and why. */
export async function badManifests(ctx: InputContext): Promise<BadInputRecord[]> {
  const cases: Array<{ kind: InputKind; name: string; body: Buffer | string }> = [
    { kind: 'malformed-manifest', name: 'not JSON', body: '{"externalRef": "Doe^Jane 1970-01-01", oops' },
    { kind: 'malformed-manifest', name: 'a JSON array', body: '[1,2,3]' },
    { kind: 'malformed-manifest', name: 'null', body: 'null' },
    { kind: 'malformed-manifest', name: 'empty', body: '' },
    { kind: 'malformed-manifest', name: 'callbackUrl a number', body: '{"callbackUrl": 42}' },
    { kind: 'malformed-manifest', name: 'externalRef of 10000 characters', body: JSON.stringify({ externalRef: 'r'.repeat(10_000) }) },
    { kind: 'malformed-manifest', name: 'UTF-16 text', body: Buffer.from('{"externalRef":"x"}', 'utf16le') },
    { kind: 'oversized-manifest', name: '100 KiB of JSON', body: JSON.stringify({ externalRef: 'ok', pad: 'p'.repeat(100 * 1024) }) },
    { kind: 'oversized-manifest', name: '2 MiB of zeros', body: Buffer.alloc(2 * 1024 * 1024) },
  ];
  return Promise.all(
    cases.map(async (c, i) => {
      const r = await studyWithManifest(ctx, `manifest${i}-`, c.body);
      const answer = r.manifestIgnored
        ? `study ${r.status}, manifest ignored: ${r.manifestIgnored}`
        : `study ${r.status}, no word of the manifest`;
      return {
        kind: c.kind,
        name: c.name,
        answer,
        ok: r.status === 'completed' && Boolean(r.manifestIgnored) && r.externalRef === undefined,
      };
    }),
  );
}
