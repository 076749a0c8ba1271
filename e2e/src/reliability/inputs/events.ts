import { BUCKET } from '../stack';
import { httpAnswer, type BadInputRecord, type InputContext, type InputKind } from './bad-input';

const record = (key: string, extra: Record<string, unknown> = {}) => ({
  eventSource: 'aws:s3',
  eventName: 'ObjectCreated:Put',
  s3: { bucket: { name: BUCKET }, object: { key, eTag: 'abc', size: 10 } },
  ...extra,
});

/** Events that are not events, or not ours, or far too big: 4xx with a reason, or 200 saying
 * what was skipped, never a 5xx and never a study. */
export async function badEvents(ctx: InputContext): Promise<BadInputRecord[]> {
  const { stack } = ctx;
  const alone = async (body: string) => {
    const r = await stack.postEventAlone(body);
    return new Response(r.text, { status: r.status });
  };
  let deep = '1';
  for (let i = 0; i < 5_000; i++) deep = `{"a":${deep}}`;
  const cases: Array<{ kind: InputKind; name: string; send: () => Promise<Response>; accept: (status: number, body: string) => boolean }> =
    [
      { kind: 'malformed-event', name: 'not JSON', send: () => stack.postEvent('{"Records": [ oops'), accept: (s) => s === 400 },
      { kind: 'malformed-event', name: 'a JSON array', send: () => stack.postEvent('[]'), accept: (s) => s === 400 },
      { kind: 'malformed-event', name: 'an empty object', send: () => stack.postEvent('{}'), accept: (s) => s === 400 },
      { kind: 'malformed-event', name: 'Records a string', send: () => stack.postEvent('{"Records":"x"}'), accept: (s) => s === 400 },
      {
        kind: 'malformed-event',
        name: 'a record without s3',
        send: () => stack.postEvent(JSON.stringify({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }] })),
        accept: (s) => s === 400,
      },
      {
        kind: 'malformed-event',
        name: 'a key of broken percent-encoding',
        send: () => stack.postEvent(JSON.stringify({ Records: [record('incoming/a-x/%ZZ.dcm')] })),
        accept: (s, b) => s === 400 || (s === 200 && /"ignored":1/.test(b)),
      },
      {
        kind: 'malformed-event',
        name: 'size a string',
        send: () =>
          stack.postEvent(
            JSON.stringify({
              Records: [
                record('incoming/a-x/1.dcm', { s3: { bucket: { name: BUCKET }, object: { key: 'incoming/a-x/1.dcm', size: 'big' } } }),
              ],
            }),
          ),
        accept: (s) => s === 400,
      },
      { kind: 'malformed-event', name: 'JSON nested 5000 deep', send: () => stack.postEvent(deep), accept: (s) => s === 400 },
      {
        kind: 'malformed-event',
        name: 'text/plain body',
        send: () => stack.postEvent('hello', { contentType: 'text/plain' }),
        accept: (s) => s === 400,
      },
      {
        kind: 'malformed-event',
        name: 'no bearer token',
        send: () => stack.postEvent(stack.eventFor('incoming/a-x/0.jpeg', 'e'), { token: null }),
        accept: (s) => s === 401,
      },
      {
        kind: 'malformed-event',
        name: 'a wrong bearer token',
        send: () => stack.postEvent(stack.eventFor('incoming/a-x/0.jpeg', 'e'), { token: 'x'.repeat(32) }),
        accept: (s) => s === 401,
      },
      {
        kind: 'malformed-event',
        name: 'an object removal',
        send: () => stack.postEvent(JSON.stringify({ Records: [record('incoming/a-x/0.jpeg', { eventName: 'ObjectRemoved:Delete' })] })),
        accept: (s, b) => s === 200 && /"records":0/.test(b),
      },
      {
        kind: 'malformed-event',
        name: 'an S3 test event',
        send: () => stack.postEvent(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: BUCKET })),
        accept: (s, b) => s === 200 && /"testEvent":true/.test(b),
      },
      {
        kind: 'malformed-event',
        name: 'a bucket nobody owns',
        send: () => stack.postEvent(stack.eventFor('incoming/a-x/0.jpeg', 'e', 10, 'someone-elses-bucket')),
        accept: (s, b) => s === 200 && /"ignored":1/.test(b),
      },
      {
        kind: 'malformed-event',
        name: 'an SNS notification with a forged signature',
        send: () =>
          fetch(`${stack.ingestUrl}/v1/s3-events/sns`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ Type: 'Notification', Message: '{}', Signature: 'AAAA', SigningCertURL: 'https://evil.test/cert.pem' }),
          }),
        accept: (s) => s === 403 || s === 404,
      },
      {
        kind: 'oversized-event',
        name: 'a 6 MB body',
        send: () => alone(JSON.stringify({ Records: [], pad: 'x'.repeat(6 * 1024 * 1024) })),
        accept: (s) => s === 413,
      },
      {
        kind: 'oversized-event',
        name: '20000 records of a bucket nobody owns',
        send: () =>
          alone(
            JSON.stringify({
              Records: Array.from({ length: 20_000 }, (_, i) => ({
                ...record(`incoming/z/${i}.jpeg`),
                s3: { bucket: { name: 'nobody' }, object: { key: `incoming/z/${i}.jpeg`, eTag: 'e', size: 1 } },
              })),
            }),
          ),
        accept: (s, b) => s === 413 || (s === 200 && /"ignored":20000/.test(b)),
      },
      {
        kind: 'oversized-event',
        name: 'a 5000-character key',
        send: () => stack.postEvent(stack.eventFor(`incoming/a-x/${'k'.repeat(5_000)}.dcm`, 'e')),
        accept: (s, b) => s === 400 || (s === 200 && /"ignored":1/.test(b)),
      },
    ];
  const out: BadInputRecord[] = [];
  for (const c of cases) {
    const res = await c.send();
    const text = await res.clone().text();
    out.push({ kind: c.kind, name: c.name, answer: await httpAnswer(res), ok: c.accept(res.status, text) });
  }
  return out;
}
