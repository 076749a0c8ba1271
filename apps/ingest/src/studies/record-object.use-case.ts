import { Inject, Injectable, Logger } from '@nestjs/common';
import { studyIdIn, tenantFor, watchedLocations, type AppConfig, type TenantConfig, type TenantLocation } from '@pneumoscreen/config';
import { StudyId, normaliseEtag, uidStudyId } from '@pneumoscreen/contracts';
import { ObjectNotFoundError, type RangedObjectStore } from '@pneumoscreen/storage';
import type { Clock, StudyRepository } from '@pneumoscreen/studies';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { CLOCK, CONFIG, INGEST_METRICS, OBJECT_STORE, STUDY_ID_KEY, STUDY_REPOSITORY } from '../tokens';
import { ReadyFolderUseCase } from './ready-folder.use-case';
import type { RecordOutcome } from './record-outcome';
import { inspectObject, namedImage, type InspectedObject, type ObjectHint } from './study-of-object';

/** An object as an event or listing names it; where a header read is made, what it finds wins
 * over the ETag and size given here. */
export interface ObjectSeen extends ObjectHint {
  bucket: string;
}

const MANIFEST = 'manifest.json';
/** S3's limit on a key, in UTF-8 bytes. */
const MAX_S3_KEY_BYTES = 1024;

/** Manifests ready studies that the other objects of their folder joined, so a listing handles
 * them after those objects. */
export function isManifestKey(key: string): boolean {
  return key.endsWith(`/${MANIFEST}`);
}

/**
 * One object appeared in the bucket (from an S3 event or the reconciler's listing). An object
 * under `<incoming>/<folder>/` joins the study of its StudyInstanceUID when it is a DICOM file
 * naming one (study id: the UID's hash), otherwise the study named by the folder. The folder's
 * `manifest.json` carries options and readies every study the folder's objects joined.
 */
@Injectable()
export class RecordObjectUseCase {
  private readonly log = new Logger(RecordObjectUseCase.name);
  private readonly watched: TenantLocation[];

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(OBJECT_STORE) private readonly store: RangedObjectStore,
    @Inject(STUDY_REPOSITORY) private readonly studies: StudyRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly readyFolder: ReadyFolderUseCase,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @Inject(STUDY_ID_KEY) private readonly studyIdKey: () => Promise<string>,
  ) {
    this.watched = watchedLocations(config.tenants, config.s3.bucket, config.s3.incomingPrefix);
  }

  async execute(o: ObjectSeen): Promise<RecordOutcome> {
    const outcome = await this.record(o);
    this.metrics.objectSeen(outcome);
    return outcome;
  }

  private async record(o: ObjectSeen): Promise<RecordOutcome> {
    const where = this.locate(o);
    if (!where) return 'ignored';
    const { folder, name, tenant } = where;
    if (name === MANIFEST) {
      // The first sighting of a manifest records what its folder holds before readying it: an
      // event that was lost, arrived after the manifest's, or was answered just before Redis lost
      // its last second of writes (appendfsync everysec) would otherwise leave its image out of
      // the study the manifest queues. Later sightings (each listing) find the folder recorded.
      if (!(await this.studies.folderManifest(o.bucket, folder))) await this.recordFolder(o.bucket, o.key.slice(0, -MANIFEST.length));
      return (await this.readyFolder.execute(o.bucket, folder, o.key)) ? 'manifest' : 'duplicate';
    }
    // Placed once per ETag, whatever the number of events and listings: only the first costs a
    // read. The same key with a new ETag was overwritten: a new image, placed again.
    const placed = await this.studies.studyOfObject(o.bucket, o.key);
    if (placed && (!placed.etag || !o.etag || normaliseEtag(o.etag) === placed.etag)) return 'duplicate';
    let seen: InspectedObject;
    try {
      // A replaced object is read whatever its name: an event of the old version, delivered late,
      // must not put its ETag back.
      seen = (placed ? undefined : namedImage(o)) ?? (await inspectObject(this.store, o.bucket, o.key, this.config.worker.maxImageBytes));
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return 'ignored';
      throw e;
    }
    const studyId = studyIdIn(tenant, seen.uidDigest ? uidStudyId(await this.studyIdKey(), tenant.id, seen.uidDigest) : folder);
    if (!StudyId.safeParse(studyId).success) {
      this.log.warn(`ignoring an object of folder ${folder}: with its tenant's name in front, the folder is too long for a study id`);
      return 'ignored';
    }
    const r = await this.studies.recordObject(
      studyId,
      o.bucket,
      { key: o.key, etag: seen.etag, versionId: seen.versionId, size: seen.size },
      this.clock.now(),
    );
    // After recordObject: a manifest that finds the study in its folder must find the object in it.
    const manifest = await this.studies.joinFolder(o.bucket, folder, studyId);
    // Queuing here could cut off the rest of a study whose objects are still being recorded.
    if (manifest && r.status === 'collecting') await this.studies.setOptions(studyId, manifest);
    // Last, so that a retry after a crash part-way redoes the steps above.
    await this.studies.placeObject(o.bucket, o.key, studyId, seen.etag);
    if (!r.isNew) return 'duplicate';
    if (r.status !== 'collecting') {
      await this.studies.noteLateObject(studyId);
      this.log.warn(
        `study ${studyId}: an object ${placed ? 'was overwritten' : 'arrived'} after the study was queued; it is not classified (counted in the study's lateObjects and pneumoscreen_objects_total{outcome="late"})`,
      );
      return 'late';
    }
    if (manifest)
      this.log.warn(
        `study ${studyId}: an object of folder ${folder} was recorded after the folder's manifest.json; the study waits for the next reconciler pass or the quiet period`,
      );
    if (seen.uidDigest) this.log.debug(`an object of folder ${folder} joined study ${studyId} by its StudyInstanceUID`);
    return 'recorded';
  }

  /** Records every object under a folder's prefix but its manifest; placed ones cost a Redis
   * read each. Older objects are left alone, as the reconciler leaves them. */
  private async recordFolder(bucket: string, folderPrefix: string): Promise<void> {
    const oldest = this.clock.now().getTime() - this.config.ingest.retentionMs;
    for await (const { key, etag, size, lastModified } of this.store.listObjects(bucket, folderPrefix)) {
      if (isManifestKey(key) || lastModified.getTime() < oldest) continue;
      // Only what this finds counts: the objects already recorded were counted when they were.
      const outcome = await this.record({ bucket, key, etag, size });
      if (outcome !== 'duplicate') this.metrics.objectSeen(outcome);
    }
  }

  private locate(o: ObjectSeen): { folder: string; name: string; tenant: TenantConfig } | null {
    const prefix = this.config.s3.incomingPrefix;
    if (!this.watched.some((l) => l.bucket === o.bucket && o.key.startsWith(l.prefix)) || o.key.endsWith('/')) return null;
    // No object has such a key, and stores answer it unpredictably (a 500, or an empty object).
    if (Buffer.byteLength(o.key, 'utf8') > MAX_S3_KEY_BYTES) {
      this.log.warn(`ignoring an event for a key longer than S3's ${MAX_S3_KEY_BYTES} bytes`);
      return null;
    }
    const rest = o.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return null;
    const folder = rest.slice(0, slash);
    if (!StudyId.safeParse(folder).success) {
      this.log.warn(`ignoring an object whose study folder is not a valid study id`);
      return null;
    }
    // UID grouping stays inside the tenant owning the key: a file naming another tenant's
    // StudyInstanceUID cannot join (and redirect or read) that tenant's study.
    const tenant = tenantFor(this.config.tenants, o.bucket, o.key)?.tenant;
    if (!tenant) {
      this.log.warn(`ignoring an object of folder ${folder}: no tenant's location holds it`);
      return null;
    }
    return { folder, name: rest.slice(slash + 1), tenant };
  }
}
