import { httpAnswer, type BadInputRecord, type InputContext } from './bad-input';

/**
 * Keys that try to escape their folder, their tenant or the incoming prefix, announced for
 * objects that exist nowhere: each is ignored (or refused), and none becomes a study.
 */
export async function pathTricks(ctx: InputContext): Promise<BadInputRecord[]> {
  const keys = [
    'incoming/../results/a-victim.json',
    'incoming/a-x/../../results/a-victim.json',
    'incoming/..%2F..%2Fetc/passwd',
    'incoming//0.dcm',
    'incoming/0.dcm',
    '/incoming/a-x/0.dcm',
    'incoming/a-x/',
    'incoming/a-\u0000/0.dcm',
    'incoming/a-x\\..\\..\\b-y\\0.dcm',
    'incoming/a-\u202egnp.exe/0.dcm',
    `incoming/a-${'f'.repeat(1_100)}/0.dcm`,
    'results/a-x.json',
    'incoming/c-nobody/0.jpeg',
    'incoming/b/0.jpeg',
  ];
  const out: BadInputRecord[] = [];
  for (const key of keys) {
    const res = await ctx.stack.postEvent(ctx.stack.eventFor(key, 'abc', 10));
    const body = await res.clone().text();
    out.push({
      kind: 'path-trick-key',
      name: JSON.stringify(key).slice(0, 80),
      answer: await httpAnswer(res),
      ok: res.status === 400 || (res.status === 200 && /"ignored":1/.test(body)),
    });
  }
  return out;
}
