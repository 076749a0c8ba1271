import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SNS_TEST_CERT_URL, createSnsSigner } from '@pneumoscreen/testing';
import { SnsMessageError, SnsVerifier } from './sns-message';

const signer = createSnsSigner();
function verifier() {
  const fetched: string[] = [];
  const v = new SnsVerifier({ fetchCertificate: async (url) => (fetched.push(url), signer.certPem) });
  return { v, fetched };
}
const refused = (pattern: RegExp) => (e: unknown) => e instanceof SnsMessageError && pattern.test(e.message);
const notification = { Type: 'Notification', Message: '{"Records":[]}', Subject: 'Amazon S3 Notification' };

test('SignatureVersion 1 and 2, as a parsed object or as the text/plain body SNS sends', async () => {
  const { v } = verifier();
  for (const version of ['1', '2'] as const) {
    const m = signer.message(notification, version);
    assert.equal((await v.verify(m)).Message, '{"Records":[]}');
    assert.equal((await v.verify(JSON.stringify(m))).Type, 'Notification');
  }
  const { Subject: _, ...noSubject } = notification;
  assert.equal((await v.verify(signer.message(noSubject))).Type, 'Notification');
  const confirm = signer.message({
    Type: 'SubscriptionConfirmation',
    Message: 'confirm',
    SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t',
    Token: 't',
  });
  assert.equal((await v.verify(confirm)).Type, 'SubscriptionConfirmation');
});

test('a changed field, another signer or a missing signature is refused', async () => {
  const { v } = verifier();
  const m = signer.message(notification);
  await assert.rejects(v.verify({ ...m, Message: '{"Records":[{"forged":true}]}' }), refused(/signature does not verify/));
  await assert.rejects(v.verify({ ...m, TopicArn: 'arn:aws:sns:eu-west-1:123456789012:other' }), refused(/signature does not verify/));
  await assert.rejects(
    v.verify({ ...m, Signature: createSnsSigner().message(notification).Signature }),
    refused(/signature does not verify/),
  );
  await assert.rejects(v.verify({ ...m, SignatureVersion: '3' }), refused(/SignatureVersion/));
  const { Signature: _, ...unsigned } = m;
  await assert.rejects(v.verify(unsigned), refused(/Signature/));
  await assert.rejects(v.verify('PATIENT^JOHN not json'), (e: Error) => refused(/not valid JSON/)(e) && !e.message.includes('PATIENT'));
});

test('the certificate must come over https from an sns.<region>.amazonaws.com host, and is never fetched otherwise', async () => {
  const { v, fetched } = verifier();
  for (const [url, why] of [
    ['http://sns.eu-west-1.amazonaws.com/cert.pem', /not https/],
    ['https://evil.example.org/cert.pem', /not on an sns/],
    ['https://sns.eu-west-1.amazonaws.com.evil.example.org/cert.pem', /not on an sns/],
    ['https://s3.amazonaws.com/sns.eu-west-1.amazonaws.com/cert.pem', /not on an sns/],
    ['https://sns.eu-west-1.amazonaws.com:8443/cert.pem', /not on an sns/],
    ['https://sns.eu-west-1.amazonaws.com/cert.txt', /does not name a certificate/],
  ] as const) {
    await assert.rejects(v.verify(signer.message({ ...notification, SigningCertURL: url })), refused(why), url);
  }
  assert.deepEqual(fetched, []);
});

test('certificates are cached by URL; one that fails to download is tried again', async () => {
  const { v, fetched } = verifier();
  for (let i = 0; i < 3; i++) await v.verify(signer.message(notification));
  assert.deepEqual(fetched, [SNS_TEST_CERT_URL]);
  let calls = 0;
  const flaky = new SnsVerifier({
    fetchCertificate: async () => (++calls === 1 ? Promise.reject(new Error('ECONNRESET')) : signer.certPem),
  });
  await assert.rejects(flaky.verify(signer.message(notification)), refused(/cannot be fetched: ECONNRESET/));
  assert.equal((await flaky.verify(signer.message(notification))).Type, 'Notification');
});
