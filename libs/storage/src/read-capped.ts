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
