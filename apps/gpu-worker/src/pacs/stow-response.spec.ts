import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StowRsPublisher } from './stow-rs';
import { failureReasonHex, parseStowResponse } from './stow-response';

const item = (uid: string, reason?: number) => ({
  '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
  '00081155': { vr: 'UI', Value: [uid] },
  ...(reason === undefined ? {} : { '00081197': { vr: 'US', Value: [reason] } }),
});

test('a STOW-RS response names the stored and the failed instances with their Failure Reasons', () => {
  const body = JSON.stringify({
    '00081199': { vr: 'SQ', Value: [item('1.1')] },
    '00081198': { vr: 'SQ', Value: [item('1.2', 0xa700), item('1.3')] },
  });
  assert.deepEqual(parseStowResponse(body), {
    stored: 1,
    failed: [
      { sopInstanceUid: '1.2', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', failureReason: 0xa700 },
      { sopInstanceUid: '1.3', sopClassUid: '1.2.840.10008.5.1.4.1.1.7' },
    ],
  });
  assert.deepEqual(parseStowResponse(`[${body}]`).failed.length, 2);
  assert.equal(failureReasonHex(0xa700), '0xA700');
  assert.equal(failureReasonHex(0x110), '0x0110');
});

test('a body that is not DICOM JSON says nothing about instances', () => {
  assert.deepEqual(parseStowResponse('<html>502</html>'), { failed: [] });
  assert.deepEqual(parseStowResponse(''), { failed: [] });
  assert.deepEqual(parseStowResponse('null'), { failed: [] });
});

/** Only the HTTP exchange is stood in for here; the medium spec runs against a real Orthanc. */
const answering = (status: number, body = '') => (async () => new Response(body, { status })) as typeof fetch;
const config = { stowUrl: 'http://pacs.test/dicom-web/studies', timeoutMs: 1000, maxAttempts: 3 };

test('5xx, 408 and 429 are worth retrying; other 4xx, and a 2xx naming failed instances, are final', async () => {
  for (const s of [500, 502, 503, 408, 429])
    assert.equal((await new StowRsPublisher(config, answering(s)).publish([Buffer.from('x')])).kind, 'retry', String(s));
  for (const s of [400, 401, 403, 404, 409, 413, 302])
    assert.equal((await new StowRsPublisher(config, answering(s)).publish([Buffer.from('x')])).kind, 'refused', String(s));
  const partial = JSON.stringify({
    '00081198': { vr: 'SQ', Value: [item('1.2', 0xc000)] },
    '00081199': { vr: 'SQ', Value: [item('1.1')] },
  });
  const outcome = await new StowRsPublisher(config, answering(202, partial)).publish([Buffer.from('a'), Buffer.from('b')]);
  assert.deepEqual(outcome, {
    kind: 'refused',
    httpStatus: 202,
    reason: 'HTTP 202; 1 of 2 instance(s) failed (reason 0xC000)',
    stored: 1,
    failed: [{ sopInstanceUid: '1.2', sopClassUid: '1.2.840.10008.5.1.4.1.1.7', failureReason: 0xc000 }],
  });
  assert.deepEqual(await new StowRsPublisher(config, answering(200)).publish([Buffer.from('a')]), { kind: 'stored', httpStatus: 200 });
});
