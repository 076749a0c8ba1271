import { ChannelName, ModelVersionId, type ChannelPointer, type ModelManifest, type ModelVersionSummary } from '@pneumoscreen/contracts';
import { INT8_ONNX_FILE, PUBLISHED_FILE } from '@pneumoscreen/model-format';

/** The folder of a model's channel pointers, beside its versions. */
export const CHANNELS = 'channels';

export interface ListedNames {
  /** Versions whose record exists: the published ones. */
  versions: string[];
  channels: string[];
  /** Versions that carry an int8 model. */
  withInt8: Set<string>;
}

/** What the keys of a model's folder name, each given below that folder; deeper keys and
 * anything not named as a version or channel are passed over. */
export function namesInListing(keys: Iterable<string>): ListedNames {
  const out: ListedNames = { versions: [], channels: [], withInt8: new Set() };
  for (const key of keys) {
    const [first, second, ...deeper] = key.split('/');
    if (!first || !second || deeper.length) continue;
    if (first === CHANNELS) {
      const channel = second.replace(/\.json$/, '');
      if (channel !== second && ChannelName.safeParse(channel).success) out.channels.push(channel);
    } else if (second === PUBLISHED_FILE && ModelVersionId.safeParse(first).success) {
      out.versions.push(first);
    } else if (second === INT8_ONNX_FILE) {
      out.withInt8.add(first);
    }
  }
  return out;
}

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
