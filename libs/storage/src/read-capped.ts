/**
 * Reads a stream into memory, or returns null as soon as it passes `maxBytes`. Leaving the loop
 * early destroys a Node stream, so the rest of an oversized body is never downloaded.
 */
export async function readCapped(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The first `maxBytes` of a stream (all of a shorter one). Having them, it waits for the stream's
 * end rather than leave at once, so a body of exactly that length (a ranged response) ends
 * normally and its connection is reused; a longer one is cut off at its next chunk.
 */
export async function readPrefix(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    if (total >= maxBytes) break;
    chunks.push(chunk.subarray(0, maxBytes - total));
    total += chunks[chunks.length - 1]!.length;
  }
  return Buffer.concat(chunks, total);
}
