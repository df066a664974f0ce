import { describe, expect, it } from 'vitest';
import { adamwStep, clipScale, SCALE_FLOATS, type AdamWSettings } from '../../src/engine/ops/optimizer';
import { partialGroups, reduce } from '../../src/engine/ops/reduce';
import { axpy } from '../../src/engine/ops/elementwise';
import { adamwStepRef, clipScaleRef } from '../../src/engine/ref/optimizer';
import { reduceRef } from '../../src/engine/ref/reduce';
import { axpyRef } from '../../src/engine/ref/elementwise';
import { AdapterOptimizer, type ParameterGroup } from '../../src/engine/optimizer';
import { learningRate } from '../../src/train/schedule';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';

// 1 and 7 are below one workgroup, 257 and 1025 straddle workgroups and partial-sum boundaries,
// 70_001 needs 69 reduction workgroups and 274 AdamW workgroups.
const SIZES = [1, 7, 257, 1025, 70_001];
const ADAM_STEPS = 4;

describe('clipScale', () => {
  it('matches a direct computation of clip_grad_norm_ on a range of counts and norms', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    const rng = new Random(11);
    // [count, magnitude of each sum of squares, maxNorm]: active, inactive, barely active, disabled.
    const cases: Array<[number, number, number]> = [
      [1, 4, 1],
      [5, 1e-3, 1],
      [33, 0.1, 1],
      [200, 50, 1],
      [7, 2, 3.5],
      [12, 1e4, Infinity],
    ];
    for (const [count, magnitude, maxNorm] of cases) {
      const sums = rng.floats(count, 0, magnitude);
      const norm = Math.sqrt(sums.reduce((a, s) => a + s, 0));
      const want = [Math.min(1, maxNorm / (norm + 1e-6)), norm, 0];
      const ref = new Float64Array(SCALE_FLOATS);
      clipScaleRef(ref, sums, count, maxNorm);
      const [bsums, bscale] = [gpu.upload('sum squares', sums), gpu.createBuffer('scale', SCALE_FLOATS * 4)];
      await gpu.run('clip scale', (enc) => clipScale(enc, bscale, bsums, count, maxNorm));
      const got = await gpu.readF32(bscale);
      // f32 summation of `count` non-negative terms, then a square root and a division.
      const tolerance = (count + 4) * 2 ** -24 * Math.max(1, norm);
      results.push(compareArrays(`clipScale count=${count} norm=${norm.toFixed(3)} maxNorm=${maxNorm}`, got, want, tolerance));
      results.push(compareArrays(`clipScaleRef count=${count}`, ref, want, 1e-12 * Math.max(1, norm)));
      [bsums, bscale].forEach((b) => b.destroy());
    }
    expectClose(results);
  });

  it('marks non-finite gradients: factor 0, the NaN or Inf norm kept, skips counted, AdamW skipped', async () => {
    const gpu = await testGpu();
    const n = 300;
    const rng = new Random(5);
    const param = rng.floats(n);
    const grad = rng.floats(n);
    const m = rng.floats(n, 0, 0.1);
    const v = rng.floats(n, 0, 0.01);
    const [bp, bg, bm, bv] = [gpu.upload('param', param), gpu.upload('grad', grad), gpu.upload('m', m), gpu.upload('v', v)];
    const bsums = gpu.createBuffer('sum squares', 2 * 4);
    const bscale = gpu.createBuffer('scale', SCALE_FLOATS * 4);
    const scratch = gpu.createBuffer('partials', partialGroups(n) * 4);
    const ref = new Float32Array(SCALE_FLOATS);
    const settings: AdamWSettings = { lr: 0.1, weightDecay: 0.1, step: 3 };
    const norms: number[] = [];
    for (const bad of [NaN, Infinity, -Infinity]) {
      const badGrad = grad.slice();
      badGrad[137] = bad;
      gpu.write(bg, badGrad);
      await gpu.run('non-finite step', (enc) => {
        reduce(enc, 'sumSquares', bsums, 0, scratch, bg, null, n);
        reduce(enc, 'sumSquares', bsums, 1, scratch, bp, null, n);
        clipScale(enc, bscale, bsums, 2, 1);
        adamwStep(enc, bp, bg, bm, bv, bscale, n, settings);
      });
      clipScaleRef(ref, [bad * bad, 1], 2, 1);
      const scale = await gpu.readF32(bscale);
      norms.push(scale[1]);
      expect(scale[0]).toBe(0);
      expect(ref[0]).toBe(0);
      expect(Number.isFinite(scale[1])).toBe(false);
    }
    console.log(`norms reported for NaN, Inf, -Inf gradients: ${norms.join(', ')}`);
    expect(norms[0]).toBeNaN();
    expect(norms[1]).toBe(Infinity);
    expect(norms[2]).toBe(Infinity);
    expect((await gpu.readF32(bscale))[2]).toBe(3);
    expect(ref[2]).toBe(3);
    // The skipped steps left the parameters and the moments exactly as they were.
    expectClose([
      compareArrays('param after skipped steps', await gpu.readF32(bp), param, 0),
      compareArrays('m after skipped steps', await gpu.readF32(bm), m, 0),
      compareArrays('v after skipped steps', await gpu.readF32(bv), v, 0),
    ]);
    // A finite gradient afterwards is applied again, with the skip count kept.
    gpu.write(bg, grad);
    await gpu.run('finite step', (enc) => {
      reduce(enc, 'sumSquares', bsums, 0, scratch, bg, null, n);
      clipScale(enc, bscale, bsums, 1, 1);
      adamwStep(enc, bp, bg, bm, bv, bscale, n, settings);
    });
    const scale = await gpu.readF32(bscale);
    expect(scale[0]).toBeGreaterThan(0);
    expect(Number.isFinite(scale[1])).toBe(true);
    expect(scale[2]).toBe(3);
    expect(compareArrays('param moved', await gpu.readF32(bp), param, 0).passed).toBe(false);
    [bp, bg, bm, bv, bsums, bscale, scratch].forEach((b) => b.destroy());
  });
});

describe('adamwStep', () => {
  it('the CPU twin takes the hand-computed first step: p·(1 − lr·wd) − lr·g / (|g| + eps)', () => {
    // At t = 1: m = (1−β1)g and v = (1−β2)g², so m / (1−β1) = g and √(v / (1−β2)) = |g|.
    const [lr, wd, eps] = [0.01, 0.1, 1e-8];
    for (const c of [1, 0.5]) {
      const p0 = [0.5, -0.25, 1, 0, 2];
      const g = [1, -3, 1e-9, 0, -2e-8];
      const param = Float64Array.from(p0);
      const [m, v] = [new Float64Array(5), new Float64Array(5)];
      adamwStepRef(param, g, m, v, [c, 0, 0], 5, { lr, weightDecay: wd, eps, step: 1 });
      const want = p0.map((p, i) => p * (1 - lr * wd) - (lr * c * g[i]) / (Math.abs(c * g[i]) + eps));
      for (let i = 0; i < 5; i++) {
        expect(Math.abs(param[i] - want[i])).toBeLessThanOrEqual(1e-16 * 4);
        expect(Math.abs(m[i] - 0.1 * c * g[i])).toBeLessThanOrEqual(1e-17 * Math.abs(g[i]) * 4);
        expect(Math.abs(v[i] - 0.001 * (c * g[i]) ** 2)).toBeLessThanOrEqual(1e-18 * g[i] ** 2 * 4);
      }
      // Where eps matters: g = 1e-9 moves by lr / 11, not by lr.
      expect(param[2]).toBeCloseTo(1 - lr * wd - lr * ((c * 1e-9) / (c * 1e-9 + 1e-8)), 15);
    }
  });

  it('matches its CPU twin over several steps: clipping on and off, weight decay on and off', async () => {
    const gpu = await testGpu();
    const results: Comparison[] = [];
    for (const clipping of [true, false]) {
      for (const weightDecay of [0, 0.1]) {
        for (const n of SIZES) {
          const rng = new Random(n * 4 + (clipping ? 2 : 0) + (weightDecay ? 1 : 0));
          const param = rng.floats(n);
          const [m, v] = [new Float32Array(n), new Float32Array(n)];
          const scale = new Float32Array(SCALE_FLOATS);
          const [bp, bm, bv] = [gpu.upload('param', param), gpu.createBuffer('m', n * 4), gpu.createBuffer('v', n * 4)];
          const bg = gpu.createBuffer('grad', n * 4);
          const bsums = gpu.createBuffer('sum squares', 4);
          const bscale = gpu.createBuffer('scale', SCALE_FLOATS * 4);
          const scratch = gpu.createBuffer('partials', partialGroups(n) * 4);
          let factors = '';
          for (let t = 1; t <= ADAM_STEPS; t++) {
            const grad = rng.floats(n, -2, 2);
            const sumSquares = Math.fround(reduceRef('sumSquares', grad, null, n));
            const norm = Math.sqrt(sumSquares);
            const maxNorm = clipping ? 0.5 * norm : 2 * norm + 1;
            const settings: AdamWSettings = { lr: 0.01 * t, weightDecay, step: t };
            clipScaleRef(scale, [sumSquares], 1, maxNorm);
            adamwStepRef(param, grad, m, v, scale, n, settings);
            factors += `${scale[0].toFixed(3)} `;
            expect(scale[0] < 1).toBe(clipping);
            gpu.write(bg, grad);
            await gpu.run('adamw step', (enc) => {
              reduce(enc, 'sumSquares', bsums, 0, scratch, bg, null, n);
              clipScale(enc, bscale, bsums, 1, maxNorm);
              adamwStep(enc, bp, bg, bm, bv, bscale, n, settings);
            });
          }
          const name = `n=${n} clip=${clipping} wd=${weightDecay} (factors ${factors.trim()})`;
          // The clip factors differ by f32 summation order (~1e-7 relative); AdamW is nearly
          // invariant to the gradient's scale, so the parameters agree to a few f32 ulps.
          results.push(compareArrays(`param ${name}`, await gpu.readF32(bp), param, 2e-6));
          results.push(compareArrays(`m ${name}`, await gpu.readF32(bm), m, 2e-6));
          results.push(compareArrays(`v ${name}`, await gpu.readF32(bv), v, 2e-6));
          [bp, bm, bv, bg, bsums, bscale, scratch].forEach((b) => b.destroy());
        }
      }
    }
    expectClose(results);
  });

  it('covers a grid folded into y past 65,535 workgroups', async () => {
    // 65,535 · 256 + 3 floats: the first sizes whose grid1d has two rows of workgroups.
    const gpu = await testGpu();
    const n = 65_535 * 256 + 3;
    const rng = new Random(17);
    const param = rng.floats(n);
    const grad = rng.floats(n);
    const scale = new Float32Array([0.75, 0, 0]);
    const [bp, bg, bscale] = [gpu.upload('param', param), gpu.upload('grad', grad), gpu.upload('scale', scale)];
    const [bm, bv] = [gpu.createBuffer('m', n * 4), gpu.createBuffer('v', n * 4)];
    const settings: AdamWSettings = { lr: 0.01, weightDecay: 0.1, step: 1 };
    await gpu.run('folded adamw step', (enc) => adamwStep(enc, bp, bg, bm, bv, bscale, n, settings));
    const [m, v] = [new Float32Array(n), new Float32Array(n)];
    adamwStepRef(param, grad, m, v, scale, n, settings);
    expectClose([
      compareArrays(`param n=${n} (folded grid)`, await gpu.readF32(bp), param, 4e-7),
      compareArrays(`m n=${n} (folded grid)`, await gpu.readF32(bm), m, 1e-7),
    ]);
    [bp, bg, bscale, bm, bv].forEach((b) => b.destroy());
  });

  it('takes the hand-computed first step on the GPU', async () => {
    const gpu = await testGpu();
    const [lr, wd] = [0.01, 0.1];
    const p0 = new Float32Array([0.5, -0.25, 1, 0, 2, -1.5, 0.125]);
    const g = new Float32Array([1, -3, 1e-9, 0, -2e-8, 100, -0.001]);
    const n = p0.length;
    const [bp, bg] = [gpu.upload('param', p0), gpu.upload('grad', g)];
    const [bm, bv, bscale] = [gpu.createBuffer('m', n * 4), gpu.createBuffer('v', n * 4), gpu.upload('scale', new Float32Array([1, 0, 0]))];
    await gpu.run('first adamw step', (enc) => adamwStep(enc, bp, bg, bm, bv, bscale, n, { lr, weightDecay: wd, step: 1 }));
    const want = Array.from(p0, (p, i) => p * (1 - lr * wd) - (lr * g[i]) / (Math.abs(g[i]) + 1e-8));
    expectClose([compareArrays('first step vs p·(1 − lr·wd) − lr·g/(|g| + eps)', await gpu.readF32(bp), want, 4e-7)]);
    [bp, bg, bm, bv, bscale].forEach((b) => b.destroy());
  });

  it('rejects bad settings before recording anything', async () => {
    const gpu = await testGpu();
    const b = gpu.createBuffer('x', 64);
    await expect(gpu.run('bad', (enc) => adamwStep(enc, b, b, b, b, b, 4, { lr: 0.1, step: 0 }))).rejects.toThrow(/1-based/);
    await expect(gpu.run('bad', (enc) => adamwStep(enc, b, b, b, b, b, 4, { lr: 0.1, beta2: 1, step: 1 }))).rejects.toThrow(/beta2/);
    await expect(gpu.run('bad', (enc) => adamwStep(enc, b, b, b, b, b, 32, { lr: 0.1, step: 1 }))).rejects.toThrow(/param/);
    await expect(gpu.run('bad', (enc) => clipScale(enc, b, b, 2, 0))).rejects.toThrow(/maxNorm/);
    b.destroy();
  });
});

describe('AdapterOptimizer', () => {
  it('minimises ‖P − T‖² with LoRA+ rates and the schedule, step for step like its CPU twin', async () => {
    const gpu = await testGpu();
    const rng = new Random(3);
    // An A-like [4, 33] and a B-like [65, 4] tensor; B learns 16× faster (LoRA+, docs/gora.md §7).
    const tensors = [
      { name: 'lora_A', size: 4 * 33, lrMultiplier: 1 },
      { name: 'lora_B', size: 65 * 4, lrMultiplier: 16 },
    ];
    const [totalSteps, baseLr, compareAt] = [100, 0.05, 10];
    const P = tensors.map((t) => rng.floats(t.size));
    const T = tensors.map((t) => rng.floats(t.size));
    const groups: ParameterGroup[] = tensors.map((t, k) => ({
      ...t,
      param: gpu.upload(`${t.name} param`, P[k]),
      grad: gpu.createBuffer(`${t.name} grad`, t.size * 4),
    }));
    const targets = tensors.map((t, k) => gpu.upload(`${t.name} target`, T[k]));
    const optimizer = new AdapterOptimizer(gpu, groups);

    // The CPU twin of the same loop: zero the gradients, accumulate 2P − 2T, clip, AdamW.
    const cpu = tensors.map((t, k) => ({ p: P[k].slice(), g: new Float32Array(t.size), m: new Float32Array(t.size), v: new Float32Array(t.size) }));
    const sums = new Float32Array(tensors.length);
    const scale = new Float32Array(SCALE_FLOATS);
    const cpuStep = (step: number, lr: number) => {
      cpu.forEach((c, k) => {
        c.g.fill(0);
        axpyRef(c.g, c.p, 2, tensors[k].size);
        axpyRef(c.g, T[k], -2, tensors[k].size);
        sums[k] = reduceRef('sumSquares', c.g, null, tensors[k].size);
      });
      clipScaleRef(scale, sums, tensors.length, 1);
      cpu.forEach((c, k) => adamwStepRef(c.p, c.g, c.m, c.v, scale, tensors[k].size, { lr: lr * tensors[k].lrMultiplier, step }));
    };
    const loss = (params: Float32Array[]) => params.reduce((acc, p, k) => acc + p.reduce((s, x, i) => s + (x - T[k][i]) ** 2, 0), 0);
    const readParams = () => Promise.all(groups.map((g) => gpu.readF32(g.param, g.size)));

    const results: Comparison[] = [];
    const initialLoss = loss(P);
    const norms: string[] = [];
    for (let s = 0; s < totalSteps; s++) {
      const lr = learningRate(s, { baseLr, totalSteps });
      await gpu.run(`optimizer step ${s + 1}`, (enc) => {
        optimizer.zeroGrad(enc);
        groups.forEach((g, k) => {
          axpy(enc, g.grad, g.param, 2, g.size);
          axpy(enc, g.grad, targets[k], -2, g.size);
        });
        optimizer.step(enc, s + 1, lr);
      });
      cpuStep(s + 1, lr);
      if ((s + 1) % 25 === 0 || s === 0) norms.push(`${s + 1}:${(await optimizer.readGradNorm()).toFixed(4)}`);
      if (s + 1 === compareAt) {
        const params = await readParams();
        const state = await optimizer.state();
        tensors.forEach((t, k) => {
          results.push(compareArrays(`${t.name} param after ${compareAt} steps`, params[k], cpu[k].p, 1e-5));
          results.push(compareArrays(`${t.name} m after ${compareAt} steps`, state[t.name].m, cpu[k].m, 1e-5));
          results.push(compareArrays(`${t.name} v after ${compareAt} steps`, state[t.name].v, cpu[k].v, 1e-5));
        });
        const norm = await optimizer.readGradNorm();
        results.push(compareArrays(`gradient norm at step ${compareAt}`, [norm], [scale[1]], 1e-5 * scale[1]));
      }
    }
    const params = await readParams();
    const finalLoss = loss(params);
    console.log(`loss ${initialLoss.toFixed(3)} → ${finalLoss.toExponential(3)} (÷${(initialLoss / finalLoss).toFixed(0)}), CPU twin ${loss(cpu.map((c) => c.p)).toExponential(3)}; gradient norm by step ${norms.join(' ')}`);
    // After 100 steps the trajectories still agree, but round-off is no longer bounded by 1e-5 in principle.
    tensors.forEach((t, k) => results.push(compareArrays(`${t.name} param after ${totalSteps} steps`, params[k], cpu[k].p, 1e-4)));
    expectClose(results);
    expect(finalLoss).toBeLessThan(initialLoss / 100);
    expect(await optimizer.readSkippedSteps()).toBe(0);

    // Checkpoint round trip: the moments restored into a fresh optimizer read back identically.
    const saved = await optimizer.state();
    const restored = new AdapterOptimizer(gpu, groups);
    restored.loadState(saved);
    const reloaded = await restored.state();
    for (const t of tensors) {
      expect(compareArrays(`${t.name} m restored`, reloaded[t.name].m, saved[t.name].m, 0).passed).toBe(true);
      expect(compareArrays(`${t.name} v restored`, reloaded[t.name].v, saved[t.name].v, 0).passed).toBe(true);
    }
    expect(() => restored.loadState({ lora_A: saved.lora_A })).toThrow(/lora_B/);
    expect(() => restored.loadState({ ...saved, lora_B: { m: new Float32Array(3), v: saved.lora_B.v } })).toThrow(/3 floats/);

    // zeroGrad clears every gradient buffer.
    await gpu.run('zero grad', (enc) => optimizer.zeroGrad(enc));
    for (const g of groups) expect((await gpu.readF32(g.grad, g.size)).every((x) => x === 0)).toBe(true);

    restored.destroy();
    optimizer.destroy();
    [...groups.flatMap((g) => [g.param, g.grad]), ...targets].forEach((b) => b.destroy());
  });

  it('rejects malformed parameter groups', async () => {
    const gpu = await testGpu();
    const b = gpu.createBuffer('x', 16);
    const group = { name: 'a', param: b, grad: b, size: 4, lrMultiplier: 1 };
    expect(() => new AdapterOptimizer(gpu, [])).toThrow(/no parameter groups/);
    expect(() => new AdapterOptimizer(gpu, [group, group])).toThrow(/used twice/);
    expect(() => new AdapterOptimizer(gpu, [{ ...group, size: 5 }])).toThrow(/5/);
    expect(() => new AdapterOptimizer(gpu, [group], { maxGradNorm: 0 })).toThrow(/maxGradNorm/);
    b.destroy();
  });
});
