import * as path from 'node:path';

export interface SplitInput {
  path: string;
  label: 0 | 1;
  sha256: string;
}

export interface PatientSplit {
  /** Indexes into the input. */
  train: number[];
  val: number[];
  /** Groups (patients, merged where they share identical files) on each side. */
  trainGroups: number;
  valGroups: number;
  /** Files whose name carried no recognisable patient id; each became its own group. */
  ungrouped: number;
}

/**
 * Patient id from a Kermany file name: `person123_bacteria_4.jpeg` -> `person123`;
 * `IM-0115-0001.jpeg` and `NORMAL2-IM-0115-0001.jpeg` -> `im0115`. The two NORMAL batches may
 * reuse numbers for different children; merging them can only make validation stricter, while
 * splitting one child across train and validation would inflate it. Undefined when the name has
 * no id.
 */
export function patientId(fileName: string): string | undefined {
  const base = path.basename(fileName);
  const person = /^person(\d+)_/i.exec(base);
  if (person) return `person${Number(person[1])}`;
  const normal = /^(?:NORMAL2-)?IM-(\d+)-/i.exec(base);
  if (normal) return `im${Number(normal[1])}`;
  return undefined;
}

/** Group index per image: same patient id, or byte-identical content, means same group. */
export function groupImages(images: readonly SplitInput[]): { groups: number[]; ungrouped: number } {
  const parent = images.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const union = (a: number, b: number) => {
    parent[find(a)] = find(b);
  };
  const firstByKey = new Map<string, number>();
  let ungrouped = 0;
  images.forEach((image, i) => {
    const id = patientId(image.path);
    if (id === undefined) ungrouped++;
    for (const key of [id && `patient:${id}`, `sha256:${image.sha256}`]) {
      if (!key) continue;
      const first = firstByKey.get(key);
      if (first === undefined) firstByKey.set(key, i);
      else union(i, first);
    }
  });
  return { groups: images.map((_, i) => find(i)), ungrouped };
}

/**
 * Deterministic patient-grouped split: groups are shuffled with `seed` and moved to validation
 * while neither class exceeds `valFraction` of its images, so both sides keep the class balance.
 */
export function patientSplit(images: readonly SplitInput[], valFraction: number, seed: number): PatientSplit {
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`validation fraction ${valFraction} must be in (0, 1)`);
  const { groups, ungrouped } = groupImages(images);
  const members = new Map<number, number[]>();
  groups.forEach((g, i) => members.set(g, [...(members.get(g) ?? []), i]));
  const order = [...members.keys()].sort((a, b) => a - b);
  shuffle(order, mulberry32(seed));

  const totals = [0, 0];
  for (const image of images) totals[image.label]!++;
  const targets = totals.map((t) => Math.round(t * valFraction));
  const inVal = [0, 0];
  const train: number[] = [];
  const val: number[] = [];
  let valGroups = 0;
  for (const g of order) {
    const idx = members.get(g)!;
    const counts = [0, 0];
    for (const i of idx) counts[images[i]!.label]!++;
    if (inVal[0]! + counts[0]! <= targets[0]! && inVal[1]! + counts[1]! <= targets[1]!) {
      val.push(...idx);
      inVal[0]! += counts[0]!;
      inVal[1]! += counts[1]!;
      valGroups++;
    } else {
      train.push(...idx);
    }
  }
  const sort = (a: number, b: number) => a - b;
  return { train: train.sort(sort), val: val.sort(sort), trainGroups: order.length - valGroups, valGroups, ungrouped };
}

/** Small seeded PRNG: reproducible splits and shuffles across machines and Node versions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
