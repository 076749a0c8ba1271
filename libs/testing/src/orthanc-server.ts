import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server';

/** Debian's packages `orthanc` and `orthanc-dicomweb` (.ci/run installs them). */
const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface OrthancServer {
  /** The DICOMweb base, as DICOMWEB_STOW_URL takes it: `http://127.0.0.1:<port>/dicom-web`. */
  dicomWebUrl: string;
  /** `Basic …` for the user the server was started with. */
  authorization: string;
  /** GET on Orthanc's REST API (or QIDO-RS under /dicom-web), as that user; parsed JSON. */
  get(path: string): Promise<unknown>;
  /** Stops the process; the database stays for `start`. */
  stop(): Promise<void>;
  /** Starts it again on the same port and database; `password` replaces the user's password. */
  start(password?: string): Promise<void>;
  /** Stops it and removes its database. */
  close(): Promise<void>;
}

/** A real Orthanc with its DICOMweb plugin, on a free loopback port, HTTP Basic auth on, its DICOM
 * (DIMSE) listener off, storing in a temporary folder. It starts in well under a second. */
export async function startOrthanc(): Promise<OrthancServer> {
  if (spawnSync('Orthanc', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error('Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)');
  const dir = await mkdtemp(join(tmpdir(), 'orthanc-'));
  const port = await freePort();
  const user = 'pneumoscreen';
  let password = 'orthanc-test-password';
  let child: ChildProcess | undefined;
  const basic = () => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const base = `http://127.0.0.1:${port}`;

  const start = async (newPassword?: string) => {
    if (newPassword) password = newPassword;
    const config = {
      Name: 'pneumoscreen-test',
      StorageDirectory: join(dir, 'db'),
      IndexDirectory: join(dir, 'db'),
      HttpPort: port,
      DicomServerEnabled: false,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { [user]: password },
      Plugins: [DICOMWEB_PLUGIN],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
      HttpServerThreads: 4,
    };
    await writeFile(join(dir, 'orthanc.json'), JSON.stringify(config));
    const proc = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: 'ignore' });
    child = proc;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`Orthanc exited with code ${proc.exitCode}`);
      const up = await fetch(`${base}/system`, { headers: { authorization: basic() } }).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return;
      if (Date.now() > deadline) throw new Error('Orthanc did not answer within 15 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  await start();
  return {
    dicomWebUrl: `${base}/dicom-web`,
    get authorization() {
      return basic();
    },
    async get(path) {
      const r = await fetch(`${base}${path}`, { headers: { authorization: basic(), accept: 'application/json' } });
      if (!r.ok) throw new Error(`Orthanc GET ${path}: HTTP ${r.status}`);
      return r.json();
    },
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
