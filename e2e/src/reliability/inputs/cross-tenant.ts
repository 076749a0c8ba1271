import { createHash } from 'node:crypto';
import { writeDicom, xray } from '@pneumoscreen/imaging/testing';
import { uidStudyId } from '@pneumoscreen/contracts';
import { httpAnswer, mustTake, type BadInputRecord, type InputContext } from './bad-input';

/**
 * Tenant b reaching for tenant a's studies and objects through the API, and a file dropped in b's
 * folder naming a's StudyInstanceUID: every attempt answers as if a's things did not exist, and
 * the dropped file makes a study of b's own.
 */
export async function crossTenant(ctx: InputContext): Promise<BadInputRecord[]> {
  const { stack, workload } = ctx;
  const [victim] = await workload.upload(1).then((s) => s.filter((x) => x.tenant === 'a'));
  const aStudy = victim ?? (await uploadFor(ctx));
  await ctx.resultOf(aStudy.studyId);
  const out: BadInputRecord[] = [];
  const tryHttp = async (name: string, send: () => Promise<Response>, accept: (s: number) => boolean) => {
    const res = await send();
    out.push({ kind: 'cross-tenant', name, answer: await httpAnswer(res), ok: accept(res.status) });
  };
  await tryHttp(
    "b reads a's study",
    () => stack.api('b', 'GET', `/v1/studies/${aStudy.studyId}`),
    (s) => s === 404,
  );
  await tryHttp(
    "b submits a's objects",
    () => stack.api('b', 'POST', '/v1/studies', { keys: aStudy.keys }),
    (s) => s === 404,
  );
  await tryHttp(
    'b submits into a bucket it has no location in',
    () => stack.api('b', 'POST', '/v1/studies', { bucket: 'other-bucket', keys: ['x.jpeg'] }),
    (s) => s === 404,
  );
  await tryHttp(
    "b sends feedback on a's study",
    () => stack.api('b', 'POST', '/v1/feedback', { studyId: aStudy.studyId, label: 'NORMAL', readerId: 'reader-b' }),
    (s) => s === 404,
  );
  await tryHttp(
    'an unknown API key reads the study',
    () => fetch(`${stack.ingestUrl}/v1/studies/${aStudy.studyId}`, { headers: { authorization: `Bearer ${'k'.repeat(48)}` } }),
    (s) => s === 401,
  );
  await tryHttp(
    'no API key reads the study',
    () => fetch(`${stack.ingestUrl}/v1/studies/${aStudy.studyId}`),
    (s) => s === 401,
  );
  await tryHttp(
    'b reads a study id with a path in it',
    () => stack.api('b', 'GET', `/v1/studies/..%2F${aStudy.studyId}`),
    (s) => s === 400 || s === 404,
  );

  // b's own object, under the id a's study has: a study of b's own, and no word of a's.
  const own = workload.nextFolder('b', 'own');
  const bObject = `incoming/${own.folder}/0.jpeg`;
  await stack.put(bObject, workload.pickXray());
  // Unannounced, the listing finds it in b's folder too: that folder's study is b's as well.
  workload.expect({ studyId: own.studyId, tenant: 'b', keys: [bObject] });
  for (const name of [aStudy.studyId, aStudy.studyId.slice(2)]) {
    const res = await stack.api('b', 'POST', '/v1/studies', { studyId: name, keys: [bObject] });
    const given = res.status === 202 ? ((await res.clone().json()) as { studyId: string }).studyId : undefined;
    out.push({
      kind: 'cross-tenant',
      name: `b submits under a's study id ${name}`,
      answer: given ? `202, b's own study ${given}` : await httpAnswer(res),
      ok: given !== undefined && given.startsWith('b.'),
    });
    if (given) workload.expect({ studyId: given, tenant: 'b', keys: [bObject] });
  }

  // A DICOM file naming a's StudyInstanceUID, dropped in b's folder: b's study, delivered to b.
  const uid = `1.2.826.0.1.3680043.9.${Date.now()}`;
  const dicom = () =>
    writeDicom(xray({ rows: 64, columns: 64, pixels: new Uint16Array(64 * 64).fill(900), extra: [[0x0020000d, 'UI', uid]] }));
  const digest = createHash('sha256').update(uid).digest('hex').slice(0, 32);
  const idIn = (tenant: 'a' | 'b') => `${tenant}.${uidStudyId(stack.env.STUDY_ID_KEY!, tenant, digest)}`;
  const aKey = `incoming/${workload.nextFolder('a', 'uid').folder}/0.dcm`;
  const bKey = `incoming/${workload.nextFolder('b', 'uid').folder}/0.dcm`;
  await mustTake(stack, aKey, dicom());
  await mustTake(stack, bKey, dicom());
  workload.expect({ studyId: idIn('a'), tenant: 'a', keys: [aKey] });
  workload.expect({ studyId: idIn('b'), tenant: 'b', keys: [bKey] });
  const [a, b] = await Promise.all([ctx.resultOf(idIn('a')), ctx.resultOf(idIn('b'))]);
  const joined = a.images.some((i) => i.key === bKey);
  out.push({
    kind: 'cross-tenant',
    name: "a DICOM file in b's folder naming a's StudyInstanceUID",
    answer: joined ? "joined a's study" : `a study of b's own (${b.images.length} image), a's study untouched (${a.images.length} image)`,
    ok: !joined && b.images.length === 1 && b.images[0]!.key === bKey,
  });
  return out;
}

async function uploadFor(ctx: InputContext) {
  for (;;) {
    const [s] = await ctx.workload.upload(1);
    if (s!.tenant === 'a') return s!;
  }
}
