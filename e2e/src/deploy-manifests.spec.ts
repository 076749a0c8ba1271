import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { EnvSchema, hashTaggedPrefix, loadConfig } from '@pneumoscreen/config';
import { QueueName } from '@pneumoscreen/contracts';

const K8S = join(__dirname, '../../deploy/k8s');

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

/** What `kubectl kustomize` renders for an overlay, offline: no cluster is asked. */
function render(overlay: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', join(K8S, 'overlays', overlay)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `kubectl kustomize overlays/${overlay}: ${r.error?.message ?? r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Stand-ins for what the Secrets hold, so that the config each pod would read can be loaded. */
const SECRETS = {
  REDIS_URL: 'redis://:password@redis',
  AWS_ACCESS_KEY_ID: 'id',
  AWS_SECRET_ACCESS_KEY: 'secret',
  MODEL_REGISTRY_ACCESS_KEY_ID: 'id',
  MODEL_REGISTRY_SECRET_ACCESS_KEY: 'secret',
  WEBHOOK_SECRET: 'whsec_YWJjZGVmZ2hpamtsbW5vcA==',
  INGEST_API_KEY: 'k'.repeat(32),
  S3_EVENTS_TOKEN: 't'.repeat(32),
};

for (const overlay of ['cpu', 'gpu']) {
  test(`overlays/${overlay}: every object is valid, every pod's settings load, and each process can be drained and probed`, () => {
    const objects = render(overlay);
    const known = objects.filter((o) => MODELS[`${o.apiVersion}/${o.kind}`]);
    for (const o of known)
      assert.doesNotThrow(() => new MODELS[`${o.apiVersion}/${o.kind}`]!(o).validate(), `${o.kind}/${o.metadata.name}`);
    const of = (kind: string) => objects.filter((o) => o.kind === kind);
    assert.deepEqual(
      objects
        .filter((o) => !known.includes(o))
        .map((o) => o.kind)
        .sort(),
      ['ScaledObject', 'TriggerAuthentication'],
    );

    const settings = of('ConfigMap').find((c) => c.metadata.name === 'pneumoscreen-config')!.data!;
    const deployments = of('Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['classify', 'finaliser', 'ingest', 'trainer']);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const [container] = pod.containers;
      const env = Object.fromEntries((container.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));
      for (const name of [...Object.keys(settings), ...Object.keys(env)])
        assert.ok(name in EnvSchema.shape, `${d.metadata.name}: ${name} is no setting pneumoscreen reads`);
      const config = loadConfig({ ...SECRETS, ...settings, ...env });
      assert.match(config.redis.url, /^redis-cluster:\/\//, d.metadata.name);
      assert.ok(container.readinessProbe && container.livenessProbe, `${d.metadata.name} is probed`);
      assert.ok(container.resources?.requests?.cpu && container.resources?.requests?.memory, `${d.metadata.name} requests resources`);
      const pdbs = of('PodDisruptionBudget').filter((p) =>
        Object.entries(p.spec.selector.matchLabels).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      assert.equal(pdbs.length, 1, `${d.metadata.name} has one PodDisruptionBudget`);
      if (d.metadata.name === 'classify') {
        // Longer than one batch may take in the engine, so a drained worker finishes its batch.
        assert.ok(pod.terminationGracePeriodSeconds * 1000 > config.worker.engineTimeoutMs, 'classify outlasts a batch');
        assert.deepEqual(config.worker.pools, ['classify']);
        assert.equal(config.worker.engine, overlay === 'gpu' ? 'onnxruntime-cuda' : 'onnxruntime-int8');
        if (overlay === 'gpu') assert.equal(container.resources.limits['nvidia.com/gpu'], 1);
      }
    }

    const [scaler] = of('ScaledObject');
    assert.equal(scaler!.spec.scaleTargetRef.name, 'classify');
    const [trigger] = scaler!.spec.triggers;
    // BullMQ keeps an image queue's waiting jobs in the list `<prefix>:<queue>:wait`.
    assert.equal(trigger.metadata.listName, `${hashTaggedPrefix(settings['REDIS_PREFIX']!)}:${QueueName.image}:wait`);
    assert.equal(trigger.metadata.addressesFromEnv, 'REDIS_CLUSTER_NODES');
    assert.equal(trigger.authenticationRef.name, of('TriggerAuthentication')[0]!.metadata.name);
  });
}
