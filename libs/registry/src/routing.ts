import { createHash } from 'node:crypto';
import type { ChannelPointer } from '@pneumoscreen/contracts';

/** The channels a study can be routed to: the main one (production) and an optional canary. */
export interface ServingChannels {
  production: ChannelPointer | null;
  canary: ChannelPointer | null;
}

/** Where a study id falls in [0, 1): the same id always lands on the same spot, whichever
 * ingest replica asks, so a study's canary fate never depends on who queued it. */
export function canaryPosition(studyId: string): number {
  return createHash('sha256').update(studyId).digest().readUInt32BE(0) / 2 ** 32;
}

/** The canary, when it takes studies: it has a fraction and was set after the last production
 * change, so promoting or rolling back production ends any canary before it. */
export function liveCanary(channels: ServingChannels): ChannelPointer | null {
  const { production, canary } = channels;
  return production && canary?.fraction !== undefined && canary.updatedAt > production.updatedAt ? canary : null;
}

/** The version a study is pinned to: the live canary's for the studies below its fraction,
 * production's for the rest, none when production points nowhere. */
export function versionForStudy(studyId: string, channels: ServingChannels): string | undefined {
  const canary = liveCanary(channels);
  if (canary && canaryPosition(studyId) < canary.fraction!) return canary.version;
  return channels.production?.version;
}
