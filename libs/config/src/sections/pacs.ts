import { invalid } from '../config-error';
import type { Env } from '../env';

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
