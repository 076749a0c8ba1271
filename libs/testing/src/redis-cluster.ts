import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisAnswers } from './redis-server';

export interface ClusterNode {
  host: string;
  port: number;
  child: ChildProcess;
}

export interface PrivateRedisCluster {
  /** `redis-cluster://` with every node as a seed, as REDIS_URL takes it. */
  url: string;
  nodes: ClusterNode[];
  /** The master now serving the slot of `key` (a hash tag such as `{prefix}` names the slot). */
  masterOf(key: string): ClusterNode;
  /** SIGKILLs the master serving `key` and waits until one of its replicas serves the slot. */
  failOver(key: string, timeoutMs?: number): Promise<ClusterNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** Where the nodes listen (and announce themselves); loopback unless a test gives another. */
  host?: string;
  /** How long a silent master has before its replica takes over (Redis's default is 15 s). */
  nodeTimeoutMs?: number;
}

function cli(args: string[]): string {
  const r = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** `CLUSTER NODES` from one node: id, address, flags and slots per line. */
function clusterNodes(
  host: string,
  port: number,
): Array<{ address: string; master: boolean; failed: boolean; slots: Array<[number, number]> }> {
  return cli(['-h', host, '-p', String(port), 'cluster', 'nodes'])
    .trim()
    .split('\n')
    .map((line) => {
      const [, address = '', flags = '', , , , , , ...slots] = line.split(' ');
      return {
        address: address.split('@')[0]!,
        master: flags.includes('master'),
        failed: flags.includes('fail'),
        slots: slots
          .filter((s) => /^\d/.test(s))
          .map((s) => (s.includes('-') ? (s.split('-').map(Number) as [number, number]) : [Number(s), Number(s)])),
      };
    });
}

/**
 * A throw-away Redis Cluster of `masters` masters with `replicasPerMaster` replicas each, every
 * node a `redis-server --cluster-enabled yes` on a free port, joined with
 * `redis-cli --cluster create`. Nodes keep nothing on disk but their cluster files, in a folder
 * removed on stop.
 */
export async function startRedisCluster(o: ClusterOptions = {}): Promise<PrivateRedisCluster> {
  const { masters = 3, replicasPerMaster = 1, host = '127.0.0.1', nodeTimeoutMs = 2_000 } = o;
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
  const nodes: ClusterNode[] = [];
  // A test process that dies (an assertion thrown outside a hook, a timeout) takes its nodes along.
  const killAll = () => nodes.forEach((n) => n.child.exitCode === null && n.child.signalCode === null && n.child.kill('SIGKILL'));
  process.once('exit', killAll);
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.child.exitCode !== null || n.child.signalCode !== null) return resolve();
            n.child.once('exit', () => resolve());
            n.child.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicasPerMaster); i++) {
      // Cluster nodes also listen on port + 10000 for their bus; both must be free.
      let port = await freePort();
      while (port > 55_000) port = await freePort();
      const args = [
        '--port',
        String(port),
        '--bind',
        host,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
      ];
      args.push(
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--dir',
        dir,
        '--logfile',
        join(dir, `${port}.log`),
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
      );
      // A replica's first sync otherwise waits 5 s for more replicas to share it.
      args.push('--repl-diskless-sync-delay', '0');
      nodes.push({ host, port, child: spawn('redis-server', args, { stdio: 'ignore' }) });
    }
    const deadline = Date.now() + 10_000;
    for (const n of nodes) {
      while (!(await redisAnswers(`redis://${host}:${n.port}`, 200))) {
        if (n.child.exitCode !== null) throw new Error(`redis-server on port ${n.port} exited with code ${n.child.exitCode}`);
        if (Date.now() > deadline) throw new Error('the cluster nodes did not answer within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    cli([
      '--cluster',
      'create',
      ...nodes.map((n) => `${host}:${n.port}`),
      '--cluster-replicas',
      String(replicasPerMaster),
      '--cluster-yes',
    ]);
    await waitFor(
      () => nodes.every((n) => /cluster_state:ok/.test(cli(['-h', host, '-p', String(n.port), 'cluster', 'info']))),
      20_000,
      'the cluster to be ok on every node',
    );
    // A replica still in its first sync has nothing to take over with.
    const synced = (n: ClusterNode) => {
      const info = cli(['-h', host, '-p', String(n.port), 'info', 'replication']);
      return /role:master/.test(info) || /master_link_status:up/.test(info);
    };
    await waitFor(() => nodes.every(synced), 20_000, 'every replica to be in sync');
  } catch (e) {
    await stop();
    throw e;
  }

  const alive = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const masterOf = (key: string): ClusterNode => {
    const probe = alive()[0]!;
    const slot = Number(cli(['-h', host, '-p', String(probe.port), 'cluster', 'keyslot', key]).trim());
    const owner = clusterNodes(host, probe.port).find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    const node = owner && nodes.find((n) => `${n.host}:${n.port}` === owner.address);
    if (!node) throw new Error(`no live master serves slot ${slot}`);
    return node;
  };
  return {
    url: `redis-cluster://${nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    nodes,
    masterOf,
    async failOver(key, timeoutMs = 30_000) {
      const old = masterOf(key);
      await new Promise<void>((resolve) => {
        old.child.once('exit', () => resolve());
        old.child.kill('SIGKILL');
      });
      let next: ClusterNode | undefined;
      await waitFor(
        () => {
          try {
            next = masterOf(key);
            return next !== old && /cluster_state:ok/.test(cli(['-h', host, '-p', String(next.port), 'cluster', 'info']));
          } catch {
            return false;
          }
        },
        timeoutMs,
        `a replica to take over from the master on port ${old.port}`,
      );
      return next!;
    },
    stop,
  };
}

async function waitFor(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
