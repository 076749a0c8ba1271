import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SNS_TEST_CERT_URL, SNS_TEST_TOPIC, createSnsSigner, startS3Server, type S3Server } from '@pneumoscreen/testing';
import { ingestHttpConfig, listenIngest, type IngestHttp } from '../ingest-http.test-harness';

const SUBSCRIBE_URL = `https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SNS_TEST_TOPIC}&Token=tok`;

/** S3 → SNS → ingest over HTTPS, as SNS delivers: text/plain bodies, no bearer token, signed
 * messages. The network is stood in for (the certificate, the confirmation GET); every rule on
 * hosts, signatures and topics is the production one. */
describe('SNS HTTPS subscription', () => {
  const signer = createSnsSigner();
  const fetchedCerts: string[] = [];
  const confirmed: string[] = [];
  const transport = {
    fetchCertificate: async (url: string) => (fetchedCerts.push(url), signer.certPem),
    confirmSubscription: async (url: string) => void confirmed.push(url),
  };
  const prefix = `{pstest-sns-${randomUUID()}}`;
  let s3: S3Server;
  let ingest: IngestHttp;
  let url: string;
  const post = (body: unknown) =>
    fetch(`${url}/v1/s3-events/sns`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': String((body as { Type?: string }).Type) },
      body: JSON.stringify(body),
    });

  before(async () => {
    s3 = await startS3Server({ buckets: ['scans'] });
    const config = ingestHttpConfig(s3, prefix, 'scans', { INGEST_API_KEY: 'an-ingest-api-key-0000001', SNS_TOPIC_ARNS: SNS_TEST_TOPIC });
    ingest = await listenIngest(config, transport);
    url = ingest.url;
  });
  after(async () => {
    await ingest?.close();
    await s3?.stop();
  });

  test('a signed SubscriptionConfirmation is confirmed by visiting its SubscribeURL', async () => {
    const res = await post(
      signer.message(
        { Type: 'SubscriptionConfirmation', Message: 'You have chosen to subscribe', SubscribeURL: SUBSCRIBE_URL, Token: 'tok' },
        '1',
      ),
    );
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(confirmed, [SUBSCRIBE_URL]);
    assert.deepEqual(fetchedCerts, [SNS_TEST_CERT_URL]);
  });

  test('a signed Notification carrying an S3 event records its objects', async () => {
    const event = {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'scans' }, object: { key: 'incoming/sns-1/a.jpeg', eTag: '0123456789abcdef0123456789abcdef', size: 1234 } },
        },
      ],
    };
    const res = await post(signer.message({ Type: 'Notification', Message: JSON.stringify(event), Subject: 'Amazon S3 Notification' }));
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), {
      type: 'Notification',
      testEvent: false,
      records: 1,
      skipped: 0,
      recorded: 1,
      duplicate: 0,
      ignored: 0,
      late: 0,
      manifest: 0,
    });
  });

  test('forged, foreign-topic and off-SNS messages are refused, and nothing is confirmed for them', async () => {
    const genuine = signer.message({ Type: 'Notification', Message: '{"Records":[]}' });
    const forged = await post({ ...genuine, Message: '{"Records":[{"eventName":"ObjectCreated:Put"}]}' });
    assert.equal(forged.status, 403);
    assert.match(await forged.text(), /signature does not verify/);
    const foreign = await post(
      signer.message({ Type: 'Notification', Message: '{"Records":[]}', TopicArn: 'arn:aws:sns:eu-west-1:999999999999:attacker' }),
    );
    assert.equal(foreign.status, 403);
    assert.match(await foreign.text(), /topic arn:aws:sns:eu-west-1:999999999999:attacker is not in SNS_TOPIC_ARNS/);
    const redirect = await post(
      signer.message({
        Type: 'SubscriptionConfirmation',
        Message: 'x',
        SubscribeURL: 'https://169.254.169.254/latest/meta-data',
        Token: 't',
      }),
    );
    assert.equal(redirect.status, 403);
    assert.match(await redirect.text(), /SubscribeURL is not on an sns/);
    const offHost = await post(
      signer.message({ Type: 'Notification', Message: '{"Records":[]}', SigningCertURL: 'https://certs.example.org/sns.pem' }),
    );
    assert.equal(offHost.status, 403);
    assert.equal(confirmed.length, 1, 'only the genuine confirmation of the first test');
    assert.deepEqual(fetchedCerts, [SNS_TEST_CERT_URL], 'no certificate was fetched from elsewhere');
  });
});
