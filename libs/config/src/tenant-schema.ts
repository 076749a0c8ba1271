// How `TENANTS` is validated: each tenant strictly, then the list as a whole (unique ids and keys,
// no two tenants' locations overlapping).
import { z } from 'zod';
import { parseJsonSetting } from './json-setting';
import { API_SCOPES, type TenantConfig } from './tenants';
import { EndpointEvents, EndpointUrl, WebhookSecret } from './webhook-endpoints';

const hostPattern = z
  .string()
  .transform((h) => h.toLowerCase())
  .pipe(z.string().regex(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a host name, or *.domain'));

const TenantSpec = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 of a-z 0-9 _ - and start with a letter or digit'),
    locations: z
      .array(
        z
          .object({
            bucket: z
              .string()
              .min(3)
              .max(63)
              .regex(/^[a-z0-9.-]+$/, 'must be an S3 bucket name'),
            prefix: z.string().default(''),
          })
          .strict(),
      )
      .min(1),
    endpoints: z
      .array(
        z
          .object({
            url: EndpointUrl,
            secrets: z.array(WebhookSecret).min(1),
            bucket: z.string().min(3).max(63).optional(),
            prefix: z.string().min(1).optional(),
            events: EndpointEvents.optional(),
          })
          .strict(),
      )
      .default([]),
    callbackHosts: z.array(hostPattern).default([]),
    callbackSecrets: z.array(WebhookSecret).default([]),
    apiKeys: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -'),
            sha256: z
              .string()
              .transform((h) => h.toLowerCase())
              .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be the 64 hex digits of the key's SHA-256")),
            scopes: z.array(z.enum(API_SCOPES)).min(1),
          })
          .strict(),
      )
      .default([]),
  })
  // A misspelt key ("endpoint", "callbackHost") would otherwise drop a rule silently.
  .strict()
  .superRefine((t, ctx) => {
    if (t.callbackHosts.length && !t.callbackSecrets.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['callbackSecrets'],
        message: 'required when callbackHosts is set: callbacks are always signed',
      });
    }
    t.endpoints.forEach((e, i) => {
      if (e.bucket !== undefined && !t.locations.some((l) => l.bucket === e.bucket)) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'bucket'], message: "is none of the tenant's location buckets" });
      }
    });
  });

const TenantList = z
  .array(TenantSpec)
  .min(1)
  .superRefine((tenants, ctx) => {
    const ids = new Set<string>();
    const keys = new Map<string, string>();
    tenants.forEach((t, i) => {
      if (ids.has(t.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `tenant id "${t.id}" is used twice` });
      ids.add(t.id);
      t.apiKeys.forEach((k, j) => {
        const owner = keys.get(k.sha256);
        if (owner !== undefined)
          ctx.addIssue({ code: 'custom', path: [i, 'apiKeys', j, 'sha256'], message: `the same key is also listed for tenant "${owner}"` });
        keys.set(k.sha256, t.id);
      });
    });
    // A key two tenants could claim would belong to whichever matched first: refuse overlaps.
    tenants.forEach((a, i) =>
      tenants.slice(i + 1).forEach((b) => {
        for (const la of a.locations) {
          for (const lb of b.locations) {
            if (la.bucket === lb.bucket && (la.prefix.startsWith(lb.prefix) || lb.prefix.startsWith(la.prefix))) {
              ctx.addIssue({
                code: 'custom',
                path: [i, 'locations'],
                message: `tenants "${a.id}" and "${b.id}" overlap in bucket ${la.bucket}`,
              });
            }
          }
        }
      }),
    );
  });

/** `TENANTS` is a JSON array, or the path of a file holding one. */
export function parseTenants(raw: string, ctx: z.RefinementCtx): TenantConfig[] {
  return parseJsonSetting(TenantList, raw, ctx);
}
