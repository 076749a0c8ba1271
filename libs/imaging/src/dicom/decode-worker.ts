import { parentPort } from 'node:worker_threads';
import { ImageDecodeError } from '../errors';
import { dicomToPixels } from './decode-dicom';

/** One DICOM decode per message, off the caller's event loop (the WebAssembly codecs block the
 * thread they run on for as long as a frame takes). */
parentPort!.on('message', async (msg: { id: number; bytes: Uint8Array; maxPixels: number }) => {
  try {
    const pixels = await dicomToPixels(msg.bytes, msg.maxPixels);
    parentPort!.postMessage({ id: msg.id, pixels }, [pixels.data.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err instanceof ImageDecodeError ? err : new ImageDecodeError('corrupt', 'corrupt DICOM data: its pixel data cannot be read');
    parentPort!.postMessage({ id: msg.id, error: { reason: e.reason, message: e.message } });
  }
});
