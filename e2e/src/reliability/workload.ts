import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@pneumoscreen/testing';
import type { ReliabilityStack, TenantId } from './stack';

/** A study the suite sent and expects one result for, with exactly these images. */
export interface ExpectedStudy {
  studyId: string;
  tenant: TenantId;
  keys: string[];
}

/** The bundled sample X-rays (`samples/studies/*`), as bytes. */
export async function sampleXrays(): Promise<Buffer[]> {
  const dir = join(repoRoot(), 'samples/studies');
  const out: Buffer[] = [];
  for (const study of (await readdir(dir)).sort()) {
    for (const f of (await readdir(join(dir, study))).sort()) if (/\.(jpe?g|png)$/i.test(f)) out.push(await readFile(join(dir, study, f)));
  }
  return out;
}

/**
 * Puts an object and announces it as S3 would, again and again while ingest answers 503 (Redis
 * or capacity away) or cannot be reached (restarting), as S3's own delivery and the SQS/Lambda
 * relays do. Any other answer than 200 is the caller's to judge.
 */
export async function announce(stack: ReliabilityStack, key: string, body: Buffer | string, giveUpMs = 120_000): Promise<Response> {
  const etag = await retrying(() => stack.put(key, body), giveUpMs);
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    const res = await stack
      .postEvent(stack.eventFor(key, etag, typeof body === 'string' ? Buffer.byteLength(body) : body.length))
      .catch(() => null);
    if (res && res.status !== 503) return res;
    if (Date.now() > deadline) throw new Error(`ingest did not take the event for ${key} within ${giveUpMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Retries a store call through an S3 outage, as an uploading modality does. */
export async function retrying<T>(fn: () => Promise<T>, giveUpMs: number): Promise<T> {
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export class Workload {
  readonly expected: ExpectedStudy[] = [];
  /** The studies of good X-rays only: every image of theirs must be scored. */
  readonly good = new Set<string>();
  private n = 0;

  constructor(
    private readonly stack: ReliabilityStack,
    private readonly random: () => number,
    private readonly xrays: Buffer[],
    private readonly seed: number,
  ) {}

  /** A fresh folder in a tenant's location (`a-s7-12`) and the id of its study there: the
   * tenant's name in front (`a.a-s7-12`), as every study of a TENANTS tenant is named. */
  nextFolder(tenant: TenantId, label = 's'): { folder: string; studyId: string } {
    const folder = `${tenant}-${label}${this.seed}-${this.n++}`;
    return { folder, studyId: `${tenant}.${folder}` };
  }

  pickTenant(): TenantId {
    return this.random() < 0.5 ? 'a' : 'b';
  }

  pickXray(): Buffer {
    return this.xrays[Math.floor(this.random() * this.xrays.length)]!;
  }

  /** Uploads `count` studies of 1 to 4 X-rays each, manifest last, and expects each. */
  async upload(count: number): Promise<ExpectedStudy[]> {
    const sent: ExpectedStudy[] = [];
    for (let s = 0; s < count; s++) {
      const tenant = this.pickTenant();
      const { folder, studyId } = this.nextFolder(tenant);
      const keys = Array.from({ length: 1 + Math.floor(this.random() * 4) }, (_, i) => `incoming/${folder}/${i}.jpeg`);
      for (const key of keys) await this.mustTake(key, this.pickXray());
      await this.mustTake(`incoming/${folder}/manifest.json`, JSON.stringify({ externalRef: `ref-${studyId}` }));
      const study = { studyId, tenant, keys };
      this.expect(study, true);
      sent.push(study);
    }
    return sent;
  }

  /** Expects a study the caller sent by other means (bad inputs, the claim fault). */
  expect(study: ExpectedStudy, good = false): void {
    this.expected.push(study);
    if (good) this.good.add(study.studyId);
  }

  private async mustTake(key: string, body: Buffer | string): Promise<void> {
    const res = await announce(this.stack, key, body);
    if (res.status !== 200) throw new Error(`ingest answered ${res.status} to the event for ${key}: ${await res.text()}`);
  }
}
