import { sizeDecodePoolFromConfig } from '@pneumoscreen/config';

// Imported first by main.ts: sharp and BullMQ start libuv's pool as they load, and its size is
// fixed from then on. classify, eval, train and bench decode many images.
sizeDecodePoolFromConfig();
