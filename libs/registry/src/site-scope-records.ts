import { ModelVersionId, SiteName, SiteScope } from '@pneumoscreen/contracts';
import { checked, type JsonRecords } from './json-records';

const SCOPES = 'scopes';

/**
 * What each site accepts beyond a version's intended use, once it has validated the version on
 * its own population: one record per version and site at `<model>/scopes/<version>/<site>.json`,
 * beside the immutable version. The newest record for a site replaces the previous one.
 */
export class SiteScopeRecords {
  constructor(
    private readonly o: {
      base: string;
      records: JsonRecords;
      model: string;
      location: string;
      isPublished: (version: string) => Promise<boolean>;
    },
  ) {}

  async put(scope: SiteScope): Promise<void> {
    const s = SiteScope.parse(scope);
    if (!(await this.o.isPublished(s.version))) {
      throw new Error(
        `${this.o.model} has no published version "${s.version}" at ${this.o.location}: only a published version's scope can be widened`,
      );
    }
    await this.o.records.put(this.key(s.version, s.site), s);
  }

  /** A site's widening of a version's intended use, or null when it has none. */
  async get(version: string, site: string): Promise<SiteScope | null> {
    const s = await this.o.records.get(this.key(version, site), SiteScope);
    if (s && (s.version !== version || s.site !== site))
      throw new Error(`the scope record of ${version} for ${site} names ${s.version} for ${s.site}`);
    return s;
  }

  private key(version: string, site: string): string {
    return `${this.o.base}${SCOPES}/${checked(ModelVersionId, version, 'version')}/${checked(SiteName, site, 'site')}.json`;
  }
}
