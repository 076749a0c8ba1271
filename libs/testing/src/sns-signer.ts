import { execFileSync } from 'node:child_process';
import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SNS_TEST_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:pneumoscreen-uploads';
export const SNS_TEST_CERT_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';

export interface SnsSigner {
  /** The self-signed certificate to hand out for `SNS_TEST_CERT_URL`. */
  certPem: string;
  /** A message as SNS would POST it, signed with SignatureVersion 1 (SHA1) or 2 (SHA256). */
  message(fields: Record<string, string>, version?: '1' | '2'): Record<string, string>;
}

/** The fields SNS signs, written out from AWS's documentation independently of the verifier. */
const SIGNED: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Stands in for SNS: an RSA key and a self-signed certificate made with openssl for this run. */
export function createSnsSigner(): SnsSigner {
  const dir = mkdtempSync(join(tmpdir(), 'sns-signer-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=sns.amazonaws.com',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return {
      certPem,
      message(fields, version = '2') {
        const m: Record<string, string> = {
          MessageId: 'b5e3d6e1-0000-4000-8000-000000000001',
          TopicArn: SNS_TEST_TOPIC,
          Timestamp: new Date().toISOString(),
          SignatureVersion: version,
          SigningCertURL: SNS_TEST_CERT_URL,
          ...fields,
        };
        const text = SIGNED[m.Type!]!.filter((n) => m[n] !== undefined)
          .map((n) => `${n}\n${m[n]}\n`)
          .join('');
        m.Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
          .update(text, 'utf8')
          .sign(key, 'base64');
        return m;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
