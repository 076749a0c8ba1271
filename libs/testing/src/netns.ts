import { spawnSync } from 'node:child_process';

/** One network namespace of a lab: a "host" with its own interfaces, ports and routes. */
export interface LabHost {
  /** The namespace's name, as `ip netns exec` takes it. */
  netns: string;
  /** Its address on the lab's one network. */
  address: string;
}

export interface NetnsLab {
  /** Where the services run: the namespace that holds the lab's bridge. */
  services: LabHost;
  hosts: Record<string, LabHost>;
  /** SIGKILLs every process in the host's namespace and unplugs it from the bridge: a host lost. */
  killHost(name: string): void;
  /** Kills whatever still runs in the lab's namespaces and deletes them. */
  destroy(): void;
}

const PREFIX = 'psnh-';

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

function pidsIn(netns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map(Number) : [];
}

function killAll(netns: string): void {
  for (const pid of pidsIn(netns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces a lab of a process that no longer runs left behind (it crashed before destroy). */
function removeStale(): void {
  for (const line of ip(['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = /^psnh-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    killAll(name);
    ip(['netns', 'del', name]);
  }
}

/**
 * A network of "hosts" made of network namespaces, named `psnh-<pid>-<host>`: a services
 * namespace holding a bridge at `10.<a>.<b>.1/24`, and one namespace per host name, each joined to
 * the bridge by a veth pair and given the next address. Every address lives inside the lab's own
 * namespaces, so nothing in the machine's own network changes and the lab cannot clash with it;
 * the root namespace has no route to any of them. Needs root and iproute2.
 */
export function createNetnsLab(hostNames: string[]): NetnsLab {
  removeStale();
  const base = `10.${200 + (process.pid % 50)}.${Math.floor(process.pid / 50) % 250}`;
  const nsName = (host: string) => `${PREFIX}${process.pid}-${host}`;
  const created: string[] = [];
  const destroy = () => {
    for (const ns of created.splice(0).reverse()) {
      killAll(ns);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  };
  // A test process that dies without destroy() leaves nothing running; the namespaces themselves
  // go at the next lab's removeStale.
  process.once('exit', destroy);
  try {
    const services: LabHost = { netns: nsName('services'), address: `${base}.1` };
    ip(['netns', 'add', services.netns]);
    created.push(services.netns);
    ip(['-n', services.netns, 'link', 'set', 'lo', 'up']);
    ip(['-n', services.netns, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', services.netns, 'addr', 'add', `${services.address}/24`, 'dev', 'br0']);
    ip(['-n', services.netns, 'link', 'set', 'br0', 'up']);
    const hosts: Record<string, LabHost> = {};
    hostNames.forEach((name, i) => {
      const host: LabHost = { netns: nsName(name), address: `${base}.${11 + i}` };
      ip(['netns', 'add', host.netns]);
      created.push(host.netns);
      ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', host.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `vh${i}`, 'netns', services.netns]);
      ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      ip(['-n', host.netns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', services.netns, 'link', 'set', `vh${i}`, 'master', 'br0', 'up']);
      hosts[name] = host;
    });
    return {
      services,
      hosts,
      killHost(name) {
        const host = hosts[name];
        if (!host) throw new Error(`no host ${name} in this lab`);
        killAll(host.netns);
        ip(['-n', services.netns, 'link', 'del', `vh${hostNames.indexOf(name)}`]);
      },
      destroy() {
        process.off('exit', destroy);
        destroy();
      },
    };
  } catch (e) {
    destroy();
    throw e;
  }
}
