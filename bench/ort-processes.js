// ONNX Runtime throughput on this host for processes x intra-op threads x batch, random 224-px
// inputs: how a many-core CPU host is best split (README, Benchmarks). Each configuration runs its
// processes at once for 6 s; results go to $OUT/ort-processes.json or ./ when OUT is unset.
//   node bench/ort-processes.js '[["model.onnx", procs, threads, batch], ...]'
// ORT_DIR names an onnxruntime-node folder to load instead of the installed one (a copy carried to
// a machine without this checkout's node_modules).
const { spawn } = require('child_process');
const path = require('path');
if (process.argv[2] === 'child') {
  const ort = require(process.env.ORT_DIR ?? 'onnxruntime-node');
  const [, , , model, threads, batch, seconds] = process.argv;
  (async () => {
    const s = await ort.InferenceSession.create(model, { intraOpNumThreads: +threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', enableMemPattern: false, extra: { session: { intra_op: { allow_spinning: '0' } } } });
    const x = new Float32Array(+batch * 224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
    const feed = () => ({ [s.inputNames[0]]: new ort.Tensor('float32', x, [+batch, 224, 224, 3]) });
    for (let i = 0; i < 2; i++) await s.run(feed());
    process.send('ready');
    process.once('message', async () => {
      const t0 = performance.now(); let n = 0;
      while (performance.now() - t0 < +seconds * 1000) { await s.run(feed()); n += +batch; }
      process.send({ n, ms: performance.now() - t0 });
      process.exit(0);
    });
  })();
} else {
  const runs = JSON.parse(process.argv[2]);
  (async () => {
    const results = [];
    for (const [model, procs, threads, batch] of runs) {
      const kids = Array.from({ length: procs }, () => spawn(process.execPath, [__filename, 'child', model, threads, batch, 6], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
      await Promise.all(kids.map((k) => new Promise((r) => k.once('message', r))));
      const done = kids.map((k) => new Promise((r) => k.once('message', r)));
      kids.forEach((k) => k.send('go'));
      const out = await Promise.all(done);
      const ips = out.reduce((a, o) => a + o.n / (o.ms / 1000), 0);
      const row = { model: path.basename(model), procs, threads, batch, imagesPerSecond: Math.round(ips * 10) / 10 };
      console.log(JSON.stringify(row)); results.push(row);
    }
    require('fs').writeFileSync(path.join(process.env.OUT || '.', 'ort-processes.json'), JSON.stringify({ cpu: require('os').cpus()[0].model, cpus: require('os').cpus().length, results }, null, 2));
  })();
}
