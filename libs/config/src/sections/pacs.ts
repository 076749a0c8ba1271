import { z } from 'zod';
import { invalid } from '../config-error';
import type { Env } from '../env';

/** The DICOMweb base (`…/dicom-web`); STOW-RS requests go to `<base>/studies`. Credentials belong in
 * DICOMWEB_AUTHORIZATION, a secret, not in a URL that is shown in logs and configs. */
export const StowBaseUrl = z
  .string()
  .url()
  .superRefine((v, ctx) => {
    // zod runs this after a failed .url() too; that failure is already reported.
    if (!URL.canParse(v)) return;
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an http or https URL' });
    if (u.username || u.password) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not carry credentials; set DICOMWEB_AUTHORIZATION' });
    if (u.search || u.hash) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must have no query or fragment (it is the DICOMweb base; /studies is appended)' });
  })
  .transform((v) => v.replace(/\/+$/, ''));

export interface PacsConfig {
  /** `<base>/studies`. */
  stowUrl: string;
  /** The Authorization header's value (`Bearer …`, `Basic …`): a secret, never logged. */
  authorization?: string;
  timeoutMs: number;
  maxAttempts: number;
}

/** Undefined: nothing is pushed. */
export function pacsSection(e: Env): PacsConfig | undefined {
  if (!e.DICOMWEB_STOW_URL) {
    if (e.DICOMWEB_AUTHORIZATION) throw invalid(['DICOMWEB_AUTHORIZATION: set without DICOMWEB_STOW_URL']);
    return undefined;
  }
  if (!e.DICOM_OUTPUTS) throw invalid(['DICOMWEB_STOW_URL: set, but DICOM_OUTPUTS is off, so there is nothing to push']);
  return {
    stowUrl: `${e.DICOMWEB_STOW_URL}/studies`,
    ...(e.DICOMWEB_AUTHORIZATION ? { authorization: e.DICOMWEB_AUTHORIZATION } : {}),
    timeoutMs: e.DICOMWEB_TIMEOUT_MS,
    maxAttempts: e.DICOMWEB_MAX_ATTEMPTS,
  };
}
