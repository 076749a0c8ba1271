import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { StudyResult, resultsKey, type FeedbackRecord } from '@pneumoscreen/contracts';
import { FeedbackStore } from '@pneumoscreen/feedback';
import { repoRoot, spawnApp, type SpawnedApp } from '@pneumoscreen/testing';
import { startE2eStack, type E2eStack } from './support/stack';

const BUCKET = 'hospital-r';
const CHROMIUM = '/usr/bin/chromium';
/** Kept after the run for a person to look at (gitignored). */
const SCREENSHOT = join(repoRoot(), 'artifacts/review-page.png');
const samples = join(repoRoot(), 'samples/studies');

/**
 * A reader's session in a real browser (Debian's Chromium, headless, driven by Playwright) against
 * the whole stack as processes: studies classified by the worker, the review page served by ingest,
 * labels given with a keyboard shortcut and a click, and the trainer's records in S3 checked.
 */
/** The image's natural width once it has loaded, or 0 once it has failed to. */
async function loadedWidth(img: Locator): Promise<number> {
  await img.waitFor();
  return img.evaluate(
    (el) =>
      new Promise<number>((resolve) => {
        const image = el as unknown as { complete: boolean; naturalWidth: number; addEventListener(e: string, f: () => void): void };
        if (image.complete) return resolve(image.naturalWidth);
        image.addEventListener('load', () => resolve(image.naturalWidth));
        image.addEventListener('error', () => resolve(0));
      }),
  );
}

describe('review page: worklist to the training data, in Chromium', () => {
  let stack: E2eStack;
  let browser: Browser;
  let trainer: SpawnedApp;
  const prefix = `psreview-${randomBytes(4).toString('hex')}`;

  before(async () => {
    stack = await startE2eStack({ bucket: BUCKET, prefix, env: { WORKER_MAX_BATCH: '4' } });
    // Only the feedback pool: it needs a registry to start, never one that the worker reads.
    const registry = await mkdtemp(join(tmpdir(), 'review-registry-'));
    trainer = spawnApp('trainer', require.resolve('@pneumoscreen/trainer'), {
      ...stack.env,
      TRAINER_POOLS: 'feedback',
      MODEL_REGISTRY: registry,
    });
    await trainer.waitForLine(/trainer running pools: feedback/);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  after(async () => {
    await browser?.close();
    await trainer?.stop();
    await stack?.stop();
  });

  test('a reader signs in, sees the most uncertain image first, and labels by key and by click', async () => {
    const studies = {
      'review-1': ['demo-normal-a/IM-0117-0001.jpeg', 'demo-pneumonia-a/person1003_virus_1685.jpeg'],
      'review-2': ['demo-normal-b/IM-0133-0001.jpeg', 'demo-pneumonia-b/person1026_bacteria_2957.jpeg'],
    };
    for (const [studyId, files] of Object.entries(studies)) {
      const keys: string[] = [];
      for (const f of files) {
        const key = `scans/${studyId}/${f.split('/')[1]}`;
        await stack.store.putObject(BUCKET, key, await readFile(join(samples, f)), 'image/jpeg');
        keys.push(key);
      }
      const res = await fetch(`${stack.ingestUrl}/v1/studies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
        body: JSON.stringify({ studyId, keys }),
      });
      assert.equal(res.status, 202, await res.text());
    }
    await stack.receiver.waitFor((rs) => rs.filter((r) => r.body.includes('"study.completed"')).length >= 2, 120_000);
    const results = await Promise.all(
      Object.keys(studies).map(async (id) =>
        StudyResult.parse(JSON.parse((await stack.store.getObject(BUCKET, resultsKey(id), { maxBytes: 1 << 20 })).body.toString())),
      ),
    );
    // The oracle: out of scope or flagged first, else the probability nearest the threshold.
    const margin = (r: StudyResult, i: StudyResult['images'][number]) =>
      i.decision === 'NOT_ASSESSED' || i.scopeFlag ? -1 : Math.abs(i.probability! - (i.threshold ?? r.threshold!));
    const mostUncertain = results.flatMap((r) => r.images.map((i) => ({ key: i.key, m: margin(r, i) }))).sort((a, b) => a.m - b.m)[0]!.key;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.ingestUrl}/review`);
    await page.getByLabel('API key').fill(stack.apiKey);
    await page.getByLabel('Reader id').fill('reader-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const cards = page.locator('article.image');
    await cards.nth(3).waitFor();
    assert.equal(await cards.count(), 4);
    assert.equal(await page.locator('#who').textContent(), 'Reader reader-42 · default');
    assert.equal(await cards.first().getAttribute('data-key'), mostUncertain, 'the most uncertain image leads the worklist');
    for (let i = 0; i < 4; i++) {
      const card = cards.nth(i);
      const key = await card.getAttribute('data-key');
      const image = results.flatMap((r) => r.images).find((x) => x.key === key)!;
      assert.match(
        (await card.locator('.facts').textContent()) ?? '',
        new RegExp(`Probability${image.probability!.toFixed(3)}Threshold.*Model${image.modelVersion}`),
      );
      if (image.heatmap && 'key' in image.heatmap) {
        // Loaded through ingest: a broken or refused image has no natural width. The element has its
        // size from its attributes before the PNG arrives, so wait for the load to settle first.
        assert.ok((await loadedWidth(card.locator('img.heatmap'))) > 0, `${key}: heatmap shown`);
      } else {
        assert.match((await card.locator('.no-heatmap').textContent()) ?? '', /^No heatmap/);
      }
    }

    // The first card has the focus: P labels it; the focus moves on, and the second card is clicked.
    const first = (await cards.nth(0).getAttribute('data-key'))!;
    const second = (await cards.nth(1).getAttribute('data-key'))!;
    await page.keyboard.press('p');
    await assert.doesNotReject(cards.nth(0).locator('.outcome', { hasText: 'Labelled pneumonia' }).waitFor({ timeout: 10_000 }));
    assert.equal(
      await page.evaluate(() =>
        (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string } } }).document.activeElement.getAttribute(
          'data-key',
        ),
      ),
      second,
    );
    await cards.nth(1).getByLabel('Comment (optional)').fill('left base, compare with prior');
    await cards
      .nth(1)
      .getByRole('button', { name: /Normal/ })
      .click();
    await cards.nth(1).locator('.outcome', { hasText: 'Labelled normal' }).waitFor({ timeout: 10_000 });
    await mkdir(join(repoRoot(), 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // Opened again, the worklist puts what was labelled behind what still waits.
    await page.reload();
    await cards.nth(3).waitFor();
    const order = await cards.evaluateAll((els) => els.map((el) => [el.getAttribute('data-key'), el.getAttribute('class')]));
    assert.deepEqual(
      order
        .filter(([, c]) => /labelled/.test(c ?? ''))
        .map(([k]) => k)
        .sort(),
      [first, second].sort(),
    );
    assert.ok(!/labelled/.test(order[0]![1] ?? ''), 'an unlabelled image leads');
    assert.match(
      (await page.locator('article.image.labelled .outcome').first().textContent()) ?? '',
      /^Labelled (pneumonia|normal) before\.$/,
    );

    // The trainer's feedback pool writes one record per label to the data set in S3.
    const store = new FeedbackStore(stack.store, BUCKET, 'feedback/');
    let records: FeedbackRecord[] = [];
    for (const until = Date.now() + 30_000; records.length < 2 && Date.now() < until; await new Promise((r) => setTimeout(r, 250)))
      records = await store.readAll();
    const got = records.map((r) => [r.images[0]!.key, r.label, r.readerId, r.scope, r.commentKey !== undefined]).sort();
    assert.deepEqual(
      got,
      [
        [first, 'PNEUMONIA', 'reader-42', 'image', false],
        [second, 'NORMAL', 'reader-42', 'image', true],
      ].sort(),
    );
  });
});
