// Both sides of the benchmark compute the same model: TensorFlow.js's Llama (bench/core/tf-llama.ts)
// and our engine give the same loss on the built-in model's weights with the same adapters and
// batch. (Each benchmark run also reports both sides' losses over its first training steps, which
// agree when the optimizers do: bench/core/run.ts.)

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testGpu } from '../gpu';
import { Random } from '../../src/engine/random';
import { Transformer } from '../../src/engine/transformer';
import { nodeModelFiles } from '../../src/model/node-files';
import type { InitialAdapter } from '../../src/train/adapters';
import { loadEmbeddedModel, randomBatch, type BenchModel } from '../../bench/core/model';
import { uploadModel } from '../../bench/core/ours';
import { sizeSetup } from '../../bench/core/sizes';
import { TfLlama } from '../../bench/core/tf-llama';
import { createTfSide } from '../../bench/core/tfjs';

const MODEL = join(import.meta.dirname, '..', '..', 'public', 'models', 'gora-tiny');

describe('the TensorFlow.js model of the benchmark', () => {
  let model: BenchModel;
  let adapters: Map<string, InitialAdapter>;

  beforeAll(async () => {
    // A short batch keeps the test quick; B non-zero so that the adapters change the loss.
    const setup = { ...sizeSetup('tiny'), batch: 1, seqLen: 12 };
    model = await loadEmbeddedModel(setup, await nodeModelFiles(MODEL));
    model.batch = randomBatch(model.spec, setup, 3);
    const rng = new Random(5);
    adapters = new Map(model.targets.map((t) => [t.name, { rank: 4, scale: 2, A: rng.floats(4 * t.in, -0.1, 0.1), B: rng.floats(t.out * 4, -0.1, 0.1) }]));
  });

  it('gives our engine’s loss on the same weights, adapters and batch', async () => {
    const gpu = await testGpu();
    const side = await createTfSide(gpu);

    const weights = uploadModel(gpu, model);
    const ours = new Transformer(gpu, model.spec, weights, { B: 1, T: 12 });
    for (const [name, a] of adapters) ours.attachAdapter(name, a.rank, a.scale, a.A, a.B);
    ours.setBatch(model.batch.tokens, model.batch.targets);
    await gpu.run('parity forward', (enc) => ours.forward(enc, null));
    const ourLoss = (await gpu.readF32(ours.losses)).reduce((a, b) => a + b, 0) / model.batch.count;
    ours.destroy();

    const tfModel = new TfLlama(model);
    tfModel.attachAdapters(adapters);
    const loss = tfModel.loss();
    const tfLoss = (await side.read(loss))[0];
    loss.dispose();
    tfModel.dispose();
    console.log(`loss: ours ${ourLoss}, TensorFlow.js ${tfLoss}`);
    expect(Math.abs(tfLoss - ourLoss)).toBeLessThan(1e-4 * Math.abs(ourLoss));

    for (const buffer of weights.values()) buffer.destroy();
  });
});
