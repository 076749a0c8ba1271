import { loadConfig, sizeDecodePool } from '@pneumoscreen/config';

// Imported first by main.ts: sharp and BullMQ start libuv's pool as they load, and its size is
// fixed from then on.
try {
  sizeDecodePool(loadConfig().worker.decodeThreads);
} catch {
  // A bad setting: bootstrap loads the config again and reports it, naming the variable.
}
