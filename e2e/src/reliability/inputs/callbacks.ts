import type { BadInputRecord, InputContext } from './bad-input';
import { studyWithManifest } from './manifests';

/**
 * Manifests naming callbacks a hostile uploader would like results sent to: cloud metadata,
 * loopback services, other schemes, another tenant's host and look-alikes of the tenant's own
 * (tenant a allows only `ris.hospital-a.test`). None may be called; each result says why, and
 * the tenant's configured endpoint still gets it.
 */
export async function hostileCallbacks(ctx: InputContext): Promise<BadInputRecord[]> {
  const urls = [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://127.0.0.1:6379/',
    'http://[::1]/',
    'http://localhost/admin',
    'http://0x7f000001/',
    'http://[64:ff9b::7f00:1]/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_FLUSHALL',
    'https://evil.test/collect',
    'https://ris.hospital-b.test/results',
    'https://ris.hospital-a.test.evil.test/',
    'https://ris.hospital-a.test@evil.test/',
    'https://evil.test/?https://ris.hospital-a.test/',
  ];
  const hits = () => ctx.stack.receiver.all().filter((r) => !r.path.startsWith('/hooks/')).length;
  return Promise.all(
    urls.map(async (url, i) => {
      const r = await studyWithManifest(ctx, `callback${i}-`, JSON.stringify({ callbackUrl: url }));
      const why = r.callbackRefused ?? r.manifestIgnored;
      return {
        kind: 'hostile-callback' as const,
        name: url,
        answer: why ? `not called: ${why}` : 'no word of the callback',
        ok: Boolean(why) && hits() === 0,
      };
    }),
  );
}
