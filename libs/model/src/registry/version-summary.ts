import type { ChannelPointer, ModelManifest, ModelVersionSummary } from '@pneumoscreen/contracts';

/** A version's row in a listing: its key metrics and the channels that point at it. */
export function summarise(m: ModelManifest, channels: Record<string, ChannelPointer>, int8: boolean): ModelVersionSummary {
  const v = m.metrics['validation'];
  return {
    version: m.version,
    architecture: m.architecture,
    createdAt: m.createdAt,
    parentVersion: m.parentVersion,
    threshold: m.threshold,
    validation: v ? { auc: v.auc, sensitivity: v.sensitivity, specificity: v.specificity } : null,
    channels: Object.entries(channels)
      .filter(([, p]) => p.version === m.version)
      .map(([c]) => c)
      .sort(),
    int8,
  };
}
