// Import rules for the monorepo, checked by `npm run check:deps` (part of `npm test`).
// Layers, bottom to top (a layer imports only layers below it):
//   contracts < config, storage, imaging, model-format, evaluation, tfjs, ... < onnx
//   < registry | inference (siblings) < training < apps
// Tests and test harnesses may reach upward for fixtures; the layer rules exempt them, the cycle
// rule does not.
const TEST = '\\.(spec|medium-spec|e2e-spec|test-harness)\\.ts$';
const PURE_MODEL_LIBS = '^libs/(model-format|evaluation|onnx|registry)/';
const RUNTIMES = '^libs/(tfjs|inference|training)/|(^|/)node_modules/(@tensorflow|onnxruntime-node)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle means two modules are really one; break it by moving the shared part down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'contracts-at-the-bottom',
      comment: 'libs/contracts is what every process agrees on; it depends on no other workspace package.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^(libs|apps)/', pathNot: '^libs/contracts/' },
    },
    {
      name: 'no-dist-imports',
      comment: 'Import a package by its name (or its `testing` entry point), never from its build output.',
      severity: 'error',
      from: {},
      to: { path: '(^|/)(libs|apps)/[^/]+/dist/' },
    },
    {
      name: 'ingest-loads-no-model-runtime',
      comment: 'Ingest groups and routes studies: TF.js, ONNX Runtime, engines and training stay out of its process.',
      severity: 'error',
      from: { path: '^apps/ingest/src/main\\.ts$' },
      to: { path: RUNTIMES, reachable: true },
    },
    {
      name: 'pure-model-libs-load-no-runtime',
      comment: 'model-format, evaluation, onnx and registry are plain TypeScript that ingest and tools load.',
      severity: 'error',
      from: { path: PURE_MODEL_LIBS, pathNot: TEST },
      to: { path: RUNTIMES },
    },
    {
      name: 'registry-and-inference-are-siblings',
      comment: 'Registry finds and fetches versions, inference runs them; the apps join the two.',
      severity: 'error',
      from: { path: '^libs/(registry|inference)/', pathNot: TEST },
      to: { path: '^libs/(registry|inference)/', pathNot: '^libs/$1/' },
    },
    {
      name: 'only-training-apps-reach-training',
      comment: 'Training code (TF.js layers, kernels, Keras import) is for the trainer and the CLI.',
      severity: 'error',
      from: { path: '^(libs/(?!training/)|apps/(ingest|gpu-worker)/)', pathNot: TEST },
      to: { path: '^libs/training/' },
    },
  ],
  options: {
    // Run on the sources (libs/*/src apps/*/src e2e/src); a build output reached through a deep
    // import stays in the graph as a leaf so that no-dist-imports can name it.
    doNotFollow: { path: '(^|/)(node_modules|dist)/' },
    exclude: { path: '\\.d\\.ts$' },
    includeOnly: { path: '^(libs|apps|e2e)/|node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
      mainFields: ['main', 'types'],
    },
    cache: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
