import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startIngestStack, type IngestStack } from '../ingest.test-harness';

let stack: IngestStack;
before(async () => void (stack = await startIngestStack({ LOG_LEVEL: 'debug' })));
after(async () => stack?.close());

/** A hospital's broken manifest may hold anything a person typed (names, MRNs): say what is wrong
 * with it and where, never what it says. */
test('a manifest that does not parse is ignored with a reason that quotes none of it', async () => {
  const cases: Record<string, string> = {
    'bad-json': 'PATIENT^JOHN DOE MRN 7734921',
    truncated: '{"externalRef": "MRN 7734921 PATIENT^JOHN',
    'wrong-types': JSON.stringify({ callbackUrl: 'PATIENT^JOHN DOE MRN 7734921', externalRef: 7734921 }),
  };
  for (const [folder, body] of Object.entries(cases)) {
    await stack.put(`incoming/${folder}/manifest.json`, body);
    await stack.replica().record.execute({ bucket: 'scans', key: `incoming/${folder}/manifest.json` });
  }
  const lines = stack.logs.filter((l) => /manifest\.json ignored/.test(l));
  assert.equal(lines.length, 3, stack.logs.join('\n'));
  assert.match(lines.join('\n'), /folder bad-json: manifest\.json ignored \(not valid JSON\)/);
  assert.match(
    lines.join('\n'),
    /folder wrong-types: manifest\.json ignored \(callbackUrl: Invalid url; externalRef: Expected string, received number\)/,
  );
  for (const text of [stack.logs.join('\n'), await stack.redisText()]) {
    assert.doesNotMatch(text, /PATIENT|JOHN|7734921/);
  }
});

/** A manifest that cannot be used must not go unsaid to the hospital either: the study runs on its
 * images, and its job (so its result and webhook) says why the manifest was left out. */
test('a study whose manifest was ignored is queued saying why, in its job', async () => {
  const cases: Record<string, Buffer | string> = {
    'said-bad-json': '{"externalRef": "x", oops',
    'said-wrong-types': JSON.stringify({ externalRef: 7 }),
    'said-too-big': JSON.stringify({ pad: 'p'.repeat(70 * 1024) }),
  };
  const replica = stack.replica();
  for (const [folder, body] of Object.entries(cases)) {
    const { etag } = await stack.put(`incoming/${folder}/0.jpeg`, 'image bytes');
    await replica.record.execute({ bucket: 'scans', key: `incoming/${folder}/0.jpeg`, etag, size: 11 });
    await stack.put(`incoming/${folder}/manifest.json`, body);
    await replica.record.execute({ bucket: 'scans', key: `incoming/${folder}/manifest.json` });
  }
  const said = Object.fromEntries(
    (await stack.queued()).studies.filter((s) => s.studyId.startsWith('said-')).map((s) => [s.studyId, s.manifestIgnored]),
  );
  assert.deepEqual(said, {
    'said-bad-json': 'not valid JSON',
    'said-too-big': 'larger than 64 KiB',
    'said-wrong-types': 'externalRef: Expected string, received number',
  });
});
