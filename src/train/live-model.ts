// The model as a run has trained it so far, for generation between training steps (the app's
// playground during a run): continuations with the adapters as they stand, and the base model's.
// The base leaves the adapters out, except for LoRA-GA and PiSSA, which train on W − s·B₀A₀: their
// base is that W with the initial adapters put in place of the trained ones for the generation (the
// trained ones are kept aside on the GPU and put back after).

import type { GenerateOptions, TrainableModel } from '../engine/trainable';
import type { InitialAdapter } from './adapters';
import { modifiesBaseWeights, type Method } from './methods';

export interface LiveModel {
  /** Continuations of each prompt by the base model or by the model as trained so far. */
  generate(which: 'base' | 'adapted', prompts: readonly Uint32Array[], options: GenerateOptions): Promise<number[][]>;
}

/** Refuses full training, whose weights themselves change: it has no base to show beside them. */
export function liveModel(model: TrainableModel, initial: ReadonlyMap<string, InitialAdapter>, method: Method): LiveModel {
  return {
    async generate(which, prompts, options) {
      if (method === 'full') throw new RangeError('during full training the model\'s own weights change: generate when the run has finished');
      if (which === 'adapted') return model.generate(prompts, options);
      if (!modifiesBaseWeights(method)) return model.generate(prompts, { ...options, withoutAdapters: true });
      return withInitialAdapters(model, initial, () => model.generate(prompts, options));
    },
  };
}

/** Runs body with each adapter's A and B replaced by its initial values, then puts the trained ones back. */
async function withInitialAdapters<T>(model: TrainableModel, initial: ReadonlyMap<string, InitialAdapter>, body: () => Promise<T>): Promise<T> {
  const { gpu } = model;
  const kept = [...model.adapters].map(([name, a]) => {
    const start = initial.get(name);
    if (!start || start.A.length * 4 !== a.A.size || start.B.length * 4 !== a.B.size) throw new Error(`the initial adapter of ${name} does not match the trained one`);
    return { a, start, A: gpu.createBuffer(`${name} trained A`, a.A.size), B: gpu.createBuffer(`${name} trained B`, a.B.size) };
  });
  try {
    await gpu.run('keep the trained adapters', (enc) => {
      for (const k of kept) {
        enc.copy(k.a.A, k.A, k.A.size);
        enc.copy(k.a.B, k.B, k.B.size);
      }
    });
    for (const k of kept) {
      gpu.write(k.a.A, k.start.A);
      gpu.write(k.a.B, k.start.B);
    }
    return await body();
  } finally {
    await gpu.run('put the trained adapters back', (enc) => {
      for (const k of kept) {
        enc.copy(k.A, k.a.A, k.A.size);
        enc.copy(k.B, k.a.B, k.B.size);
      }
    });
    for (const k of kept) {
      k.A.destroy();
      k.B.destroy();
    }
  }
}
