import { fork } from 'node:child_process';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';

/** A TCP address or a Unix socket's path. Unix sockets on the file system are reachable from
 * every network namespace, so a pair of relays carries TCP between namespaces that have no route
 * to each other, without giving the root namespace an address. */
export type RelayEndpoint = { host: string; port: number } | { path: string };
export interface RelayRoute {
  from: RelayEndpoint;
  to: RelayEndpoint;
}

/** Listens on `from` and pipes every connection to `to`; resolves once listening (with the port
 * the kernel chose for `port: 0`). */
export function relay(route: RelayRoute): Promise<Server & { port?: number }> {
  const server: Server & { port?: number } = createServer((inbound) => {
    const outbound = createConnection(route.to);
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.once('error', close).once('close', close);
    outbound.once('error', close).once('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = () => {
      const address = server.address();
      if (address && typeof address === 'object') server.port = (address as AddressInfo).port;
      resolve(server);
    };
    if ('path' in route.from) server.listen(route.from.path, ready);
    else server.listen(route.from.port, route.from.host, ready);
  });
}

export interface NamespaceRelay {
  stop(): Promise<void>;
}

/** Runs `routes` in a process inside network namespace `netns` (`ip netns exec`). */
export async function startNamespaceRelay(netns: string, routes: RelayRoute[]): Promise<NamespaceRelay> {
  const child = fork(__filename, [], {
    execPath: 'ip',
    execArgv: ['netns', 'exec', netns, process.execPath],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: { error?: string }) => (m.error ? reject(new Error(`relay in ${netns}: ${m.error}`)) : resolve()));
    child.once('exit', (code) => reject(new Error(`relay in ${netns} exited (${code}) before listening`)));
    child.send(routes);
  });
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}

if (require.main === module) {
  process.once('message', (routes: RelayRoute[]) => {
    Promise.all(routes.map(relay)).then(
      () => process.send?.({}),
      (e: Error) => process.send?.({ error: e.message }),
    );
  });
  // The test process gone, the relay goes too.
  process.once('disconnect', () => process.exit());
}
