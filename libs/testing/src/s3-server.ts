import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** s3rver knows one access key id, S3RVER, and refuses others; it does not check V4 signatures. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Server {
  /** Use with path-style addressing (`forcePathStyle: true`): no DNS names exist for buckets. */
  endpoint: string;
  port: number;
  /** Where s3rver keeps the objects; removed by `stop()` when the server made it. */
  directory: string;
  /** An S3 client's options for this server (S3ObjectStore, S3Client): path style, its credentials. */
  clientOptions: { endpoint: string; region: 'us-east-1'; forcePathStyle: true; credentials: typeof S3RVER_CREDENTIALS };
  /** The settings, by their environment names, that point the apps at this server. */
  env: { S3_ENDPOINT: string; AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  stop(): Promise<void>;
}

interface ServerConfig {
  directory: string;
  host: string;
  buckets: string[];
  port: number;
}
type ServerReport = { port: number } | { error: string };

/**
 * Starts s3rver on 127.0.0.1 on a free port, in a fresh folder, with `buckets` already made.
 * Given `directory`, it serves that folder instead, so that several servers (one process each)
 * share one store: s3rver keeps nothing about objects in memory. Given `port` too, it can stand in
 * for a server that was stopped, as a store coming back from an outage. Given `host` it listens
 * there instead of loopback, and given `netns`, inside that network namespace (`ip netns exec`).
 *
 * s3rver runs in a child process started with `--openssl-legacy-provider`: it makes ListObjectsV2
 * continuation tokens with DES, which OpenSSL 3 keeps only in its legacy provider, so without it
 * every truncated listing is a 500. The child also keeps s3rver's Koa and winston out of the tests.
 */
export async function startS3Server(
  options: { buckets?: string[]; directory?: string; port?: number; host?: string; netns?: string } = {},
): Promise<S3Server> {
  const host = options.host ?? '127.0.0.1';
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'pneumoscreen-s3rver-')));
  const owned = options.directory === undefined;
  const child = fork(__filename, [], {
    ...(options.netns
      ? { execPath: 'ip', execArgv: ['netns', 'exec', options.netns, process.execPath, '--openssl-legacy-provider'] }
      : { execArgv: ['--openssl-legacy-provider'] }),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      child.once('message', (report: ServerReport) =>
        'port' in report ? resolve(report.port) : reject(new Error(`s3rver did not start: ${report.error}`)),
      );
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`s3rver exited (${code ?? signal}) before listening: ${stderr}`)));
      child.send({ directory, host, buckets: options.buckets ?? [], port: options.port ?? 0 } satisfies ServerConfig);
    });
  } catch (err) {
    child.kill();
    await exited;
    if (owned) await rm(directory, { recursive: true, force: true });
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const endpoint = `http://${host}:${port}`;
  return {
    endpoint,
    port,
    directory,
    clientOptions: { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS },
    env: {
      S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await exited;
        if (owned) await rm(directory, { recursive: true, force: true });
      })()),
  };
}

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}
type S3rverConstructor = new (options: S3rverOptions) => { run(): Promise<{ port: number }> };

function serveInChild(): void {
  // s3rver ships no types; the constructor's shape is declared above.
  const S3rver: S3rverConstructor = require('s3rver');
  process.once('message', (config: ServerConfig) => {
    const server = new S3rver({
      address: config.host,
      port: config.port,
      silent: true,
      directory: config.directory,
      configureBuckets: config.buckets.map((name) => ({ name })),
    });
    server.run().then(
      ({ port }) => process.send?.({ port } satisfies ServerReport),
      (err: unknown) => {
        process.send?.({ error: String(err) } satisfies ServerReport);
        process.exitCode = 1;
        process.disconnect();
      },
    );
  });
  // A test process that dies without stop() must not leave a server behind.
  process.once('disconnect', () => process.exit());
}

if (require.main === module) serveInChild();
