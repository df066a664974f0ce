// Where the time of one LoRA training step goes, at a benchmark size (default "small"): recording the
// commands on the CPU (pipelines and bind groups come from their caches; the count of bind groups made
// anew is printed), the GPU's work, and the readback of the per-row losses that the job does after
// each step.
//   node --import tsx --import ./scripts/raw-import.mjs bench/step.ts [size] [--steps S]
// Results: bench/README.md, "Lean training step".

import { acquireNodeGpu } from '../src/gpu/node';
import { AdapterOptimizer } from '../src/engine/optimizer';
import { Transformer } from '../src/engine/transformer';
import { uniformLoraInit } from '../src/train/initialise';
import { defaultConfig } from '../src/train/config';
import { randomModel } from './core/model';
import { adapterGroups, uploadModel } from './core/ours';
import { isBenchSize, sizeSetup } from './core/sizes';

const args = process.argv.slice(2);
const size = args.find(isBenchSize) ?? 'small';
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 7;

const gpu = await acquireNodeGpu();
const model = randomModel(sizeSetup(size));
const config = { ...defaultConfig('lora'), batchSize: model.setup.batch, seqLen: model.setup.seqLen };
const weights = uploadModel(gpu, model);
const transformer = new Transformer(gpu, model.spec, weights, { B: model.setup.batch, T: model.setup.seqLen });
for (const [name, a] of uniformLoraInit(model.targets, config)) transformer.attachAdapter(name, a.rank, a.scale, a.A, a.B);
const optimizer = new AdapterOptimizer(gpu, adapterGroups(transformer, config), { maxGradNorm: config.maxGradNorm, weightDecay: config.weightDecay });
transformer.setBatch(model.batch.tokens, model.batch.targets);

const rows: Array<{ record: number; gpu: number; read: number; total: number; cpu: number; dispatches: number; newBindGroups: number }> = [];
for (let step = 0; step <= steps; step++) {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let record = 0;
  let dispatches = 0;
  const misses = gpu.bindings.misses;
  await gpu.run(`step ${step}`, (enc) => {
    const r0 = performance.now();
    optimizer.zeroGrad(enc);
    transformer.forward(enc, 1 / model.batch.count);
    transformer.backward(enc);
    optimizer.step(enc, step + 1, 1e-4);
    record = performance.now() - r0;
    dispatches = enc.dispatches;
  });
  await gpu.settle(gpu.device.queue.onSubmittedWorkDone());
  const t1 = performance.now();
  const losses = await gpu.readF32(transformer.losses, transformer.N);
  const t2 = performance.now();
  const u = process.cpuUsage(u0);
  if (!Number.isFinite(losses.reduce((x, y) => x + y, 0))) throw new Error(`step ${step}: the loss is not finite`);
  if (step > 0) rows.push({ record, gpu: t1 - t0 - record, read: t2 - t1, total: t2 - t0, cpu: (u.user + u.system) / 1000, dispatches, newBindGroups: gpu.bindings.misses - misses });
}
const median = (key: keyof (typeof rows)[number]) => [...rows.map((r) => r[key])].sort((x, y) => x - y)[Math.floor(rows.length / 2)];
console.log(`adapter: ${gpu.info.description || gpu.info.device}; size ${size}, ${transformer.N} tokens per step, ${median('dispatches')} dispatches per step, ${median('newBindGroups')} of them with a new bind group`);
console.log(`median of ${rows.length} steps (ms): record ${median('record').toFixed(1)}, submit + GPU ${median('gpu').toFixed(1)}, loss readback ${median('read').toFixed(1)}, step ${median('total').toFixed(1)} (process CPU ${median('cpu').toFixed(1)})`);
optimizer.destroy();
transformer.destroy();
for (const buffer of weights.values()) buffer.destroy();
gpu.destroy();
