import type { AppConfig } from '@pneumoscreen/config';
import { ModelVersionId, SiteName, type SiteCalibration, type SiteScope } from '@pneumoscreen/contracts';
import { openModelRegistry } from '@pneumoscreen/registry';
import type { ObjectStore } from '@pneumoscreen/storage';

export const SITE_CALIBRATIONS = Symbol('SITE_CALIBRATIONS');

/** The threshold a version was fitted to for one site (a study's bucket), when it has one. */
export interface SiteCalibrations {
  find(version: string, site: string): Promise<SiteCalibration | null>;
}

/** A worker without a registry has no calibrations: every decision stays at the version's own. */
export const NO_SITE_CALIBRATIONS: SiteCalibrations = { find: async () => null };

/** When MODEL_CHANNEL_POLL_MS is 0 (never poll), a new calibration still takes effect this soon. */
export const DEFAULT_CALIBRATION_TTL_MS = 30_000;

interface Entry<T> {
  at: number;
  lookup: Promise<T | null>;
  /** The last answer that arrived, served while the registry cannot be read. */
  last?: { value: T | null };
}

/**
 * The registry's calibrations, each (version, site) read at most once per `ttlMs`: a new fit takes
 * effect within that time without a restart, and finalising does not cost an S3 read per study.
 * Concurrent lookups of one pair share a read. When a re-read fails, the previous answer stands
 * (with a warning); with no previous answer the error goes to the caller, whose job is retried.
 */
export class CachedRegistryCalibrations<T = SiteCalibration> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    /** Per (version, site) records: calibrations, or site scopes (SiteScopeRecords). */
    private readonly registry: { calibrations: { get(version: string, site: string): Promise<T | null> } },
    private readonly ttlMs: number,
    private readonly warn: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async find(version: string, site: string): Promise<T | null> {
    // Studies from a bucket that cannot be a site name, or of a version outside any registry,
    // cannot have been calibrated.
    if (!SiteName.safeParse(site).success || !ModelVersionId.safeParse(version).success) return null;
    const key = `${version}\u0000${site}`;
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.at < this.ttlMs) return entry.lookup;
    const next: Entry<T> = { at: this.now(), lookup: this.read(version, site, entry?.last), last: entry?.last };
    this.entries.set(key, next);
    next.lookup.then(
      (value) => (next.last = { value }),
      () => this.entries.get(key) === next && !next.last && this.entries.delete(key),
    );
    return next.lookup;
  }

  private async read(version: string, site: string, last: Entry<T>['last']): Promise<T | null> {
    try {
      return await this.registry.calibrations.get(version, site);
    } catch (e) {
      if (!last) throw e;
      this.warn(`cannot re-read the calibration of ${version} for site ${site}, still using the last one read: ${(e as Error).message}`);
      return last.value;
    }
  }
}

/** The calibrations of the registry workers load versions from (MODEL_REGISTRY), if any. */
export function siteCalibrationsFor(config: AppConfig, store: ObjectStore, warn: (message: string) => void): SiteCalibrations {
  const { registry, name, channelPollMs } = config.models;
  if (!registry) return NO_SITE_CALIBRATIONS;
  return new CachedRegistryCalibrations(
    openModelRegistry(registry, name, () => store),
    channelPollMs || DEFAULT_CALIBRATION_TTL_MS,
    warn,
  );
}

export const SITE_SCOPES = Symbol('SITE_SCOPES');

/** How a site widened a version's intended use (`pneumoscreen models scope`), when it has. */
export interface SiteScopes {
  find(version: string, site: string): Promise<SiteScope | null>;
}

/** The registry's site scopes, read like calibrations; none without a registry. */
export function siteScopesFor(config: AppConfig, store: ObjectStore, warn: (message: string) => void): SiteScopes {
  const { registry, name, channelPollMs } = config.models;
  if (!registry) return { find: async () => null };
  const records = openModelRegistry(registry, name, () => store);
  return new CachedRegistryCalibrations<SiteScope>({ calibrations: records.scopes }, channelPollMs || DEFAULT_CALIBRATION_TTL_MS, warn);
}
