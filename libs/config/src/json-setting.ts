import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** A setting that holds JSON inline (starting with `[`) or names a file holding it. Messages
 * never quote the content: it may carry tokens and secrets. */
export function parseJsonSetting<S extends z.ZodTypeAny>(schema: S, raw: string, ctx: z.RefinementCtx): z.infer<S> {
  const inline = raw.trimStart().startsWith('[');
  let text = raw;
  if (!inline) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
      ctx.addIssue({ code: 'custom', message: `neither a JSON array nor the path of a readable file (${code})` });
      return z.NEVER;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${inline ? '' : 'the file it names '}is not valid JSON` });
    return z.NEVER;
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    // zod's own messages quote no input values for these schemas: only places and rules.
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return r.data;
}
