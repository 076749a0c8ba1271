import { z } from 'zod';

/**
 * Zod parsers for the text commander hands over for an option's value; each message names what
 * was expected and what came, so that "--epochs must be ..., not "two"" says it all.
 */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return numberText(
    (x) => Number.isInteger(x) && x >= min && x <= max,
    max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`,
  );
}

/** A share in (0, 1]. */
export const fraction = () => numberText((x) => x > 0 && x <= 1, 'a number in (0, 1]');

export function numberText(valid: (x: number) => boolean, expected: string) {
  return z.string().transform((raw, ctx) => {
    const x = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(x) || !valid(x)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be ${expected}, not "${raw}"` });
      return z.NEVER;
    }
    return x;
  });
}

/** One of `values`, named in the message when it is not. */
export function oneOf<U extends string, T extends Readonly<[U, ...U[]]>>(values: T) {
  return z.enum(values, { errorMap: (_issue, ctx) => ({ message: `must be ${values.join(' or ')}, not "${String(ctx.data)}"` }) });
}

/** MIN-MAX in years, as intended uses name a population. */
export const ageRange = (example: string) =>
  z.string().transform((raw, ctx) => {
    const m = /^(\d{1,3})-(\d{1,3})$/.exec(raw);
    if (!m || Number(m[1]) > Number(m[2])) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be MIN-MAX in years, e.g. ${example}, not "${raw}"` });
      return z.NEVER;
    }
    return { minAgeYears: Number(m[1]), maxAgeYears: Number(m[2]) };
  });
