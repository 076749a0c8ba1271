import { ModelVersionId, SiteCalibration, SiteName } from '@pneumoscreen/contracts';
import type { ObjectStore } from '@pneumoscreen/storage';
import { checked, type JsonRecords } from './json-records';

const CALIBRATIONS = 'calibrations';

export interface SiteCalibrationRecordsOptions {
  store: ObjectStore;
  bucket: string;
  /** The model's folder, ending in '/'. */
  base: string;
  /** The model's name, which every calibration must carry. */
  model: string;
  records: JsonRecords;
  describe: (key: string) => string;
  /** Where the model's versions live, for messages. */
  location: string;
  isPublished: (version: string) => Promise<boolean>;
}

/**
 * A model's per-site thresholds: one record per version and site at
 * `<model>/calibrations/<version>/<site>.json`, beside the versions, which a calibration never
 * changes. A newer fit for the same site replaces the older one.
 */
export class SiteCalibrationRecords {
  constructor(private readonly o: SiteCalibrationRecordsOptions) {}

  async put(calibration: SiteCalibration): Promise<void> {
    const c = SiteCalibration.parse(calibration);
    if (c.model !== this.o.model)
      throw new Error(`the calibration is for model "${c.model}" but this registry holds "${this.o.model}" (MODEL_NAME)`);
    if (!(await this.o.isPublished(c.version))) {
      throw new Error(
        `${this.o.model} has no published version "${c.version}" at ${this.o.location}: only a published version can be calibrated`,
      );
    }
    await this.o.records.put(this.key(c.version, c.site), c);
  }

  /** A version's threshold for a site, or null when that site has none. */
  async get(version: string, site: string): Promise<SiteCalibration | null> {
    const key = this.key(version, site);
    const c = await this.o.records.get(key, SiteCalibration);
    if (c && (c.model !== this.o.model || c.version !== version || c.site !== site)) {
      throw new Error(
        `${this.o.describe(key)} holds the calibration of ${c.model}@${c.version} for site ${c.site}, not the one its key names`,
      );
    }
    return c;
  }

  /** Where a version's calibration for a site is kept, for messages. */
  location(version: string, site: string): string {
    return this.o.describe(this.key(version, site));
  }

  /** Every site's calibration of a version, by site. */
  async list(version: string): Promise<SiteCalibration[]> {
    const folder = this.key(version, '');
    const sites: string[] = [];
    for await (const o of this.o.store.listObjects(this.o.bucket, folder)) {
      const site = o.key.slice(folder.length).replace(/\.json$/, '');
      if (o.key.endsWith('.json') && SiteName.safeParse(site).success) sites.push(site);
    }
    const found = await Promise.all(sites.sort().map((s) => this.get(version, s)));
    return found.filter((c): c is SiteCalibration => c !== null);
  }

  /** An empty `site` gives the version's calibrations folder. */
  private key(version: string, site: string): string {
    const file = site ? `${checked(SiteName, site, 'site')}.json` : '';
    return `${this.o.base}${CALIBRATIONS}/${checked(ModelVersionId, version, 'version')}/${file}`;
  }
}
