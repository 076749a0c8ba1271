/** Where study state lives in Redis, under the deployment's prefix (a hash tag, so that on a
 * Cluster every key but a tenant's finished index shares one slot). */
export class StudyKeys {
  constructor(private readonly prefix: string) {}

  study(id: string) {
    return `${this.prefix}:study:${id}`;
  }
  objects(id: string) {
    return `${this.prefix}:study:${id}:objects`;
  }
  get collecting() {
    return `${this.prefix}:studies:collecting`;
  }
  get queued() {
    return `${this.prefix}:studies:queued`;
  }
  /** Its own hash tag: in a Cluster it lives apart from the studies it names. */
  finished(tenantId: string) {
    return `${this.prefix}:tenant:{${tenantId}}:finished`;
  }
  /** One key per object, not a hash per bucket, so each can expire (Redis 7.0 has no HEXPIRE). */
  placement(bucket: string, key: string) {
    return `${this.prefix}:placement:${bucket}:${key}`;
  }
  folder(bucket: string, folder: string) {
    return `${this.prefix}:folder:${bucket}/${folder}`;
  }
  folderStudies(bucket: string, folder: string) {
    return `${this.folder(bucket, folder)}:studies`;
  }
}
