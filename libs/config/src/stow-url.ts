import { z } from 'zod';

/** The DICOMweb base (`…/dicom-web`); STOW-RS requests go to `<base>/studies`. Credentials belong in
 * DICOMWEB_AUTHORIZATION, a secret, not in a URL that is shown in logs and configs. */
export const StowBaseUrl = z
  .string()
  .url()
  .superRefine((v, ctx) => {
    // zod runs this after a failed .url() too; that failure is already reported.
    if (!URL.canParse(v)) return;
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an http or https URL' });
    if (u.username || u.password)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not carry credentials; set DICOMWEB_AUTHORIZATION' });
    if (u.search || u.hash)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'must have no query or fragment (it is the DICOMweb base; /studies is appended)',
      });
  })
  .transform((v) => v.replace(/\/+$/, ''));
