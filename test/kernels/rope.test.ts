import { describe, expect, it } from 'vitest';
import { ropeBackward, ropeForward } from '../../src/engine/ops/rope';
import { ropeBackwardRef, ropeForwardRef } from '../../src/engine/ref/rope';
import { ropeInverseFrequencies, ropeTables } from '../../src/engine/rope-tables';
import { compareArrays, type Comparison } from '../../src/engine/compare';
import { Random } from '../../src/engine/random';
import { expectClose, testGpu } from '../gpu';
import { expectGradient } from '../finite-diff';

// [N rows, T positions, H heads, D head dim]; N is a multiple of T (B = N / T).
const SHAPES: Array<[number, number, number, number]> = [
  [1, 1, 1, 2],
  [7, 7, 3, 8],
  [66, 33, 2, 16],
  [130, 65, 4, 64],
  [12, 4, 9, 6],
];

describe('rotary embeddings on WebGPU match the CPU reference', () => {
  for (const direction of ['forward', 'backward'] as const) {
    it(`${direction} on ${SHAPES.length} shapes`, async () => {
      const gpu = await testGpu();
      const results: Comparison[] = [];
      for (const [N, T, H, D] of SHAPES) {
        const { cos, sin } = ropeTables({ theta: 10000, scaling: null }, D, T);
        const x = new Random(N * D).floats(N * H * D);
        const want = x.slice();
        (direction === 'forward' ? ropeForwardRef : ropeBackwardRef)(want, cos, sin, N, T, H, D);
        const [bx, bc, bs] = [gpu.upload('x', x), gpu.upload('cos', cos), gpu.upload('sin', sin)];
        await gpu.run(`rope ${direction}`, (enc) => (direction === 'forward' ? ropeForward : ropeBackward)(enc, bx, bc, bs, N, T, H, D));
        results.push(compareArrays(`rope ${direction} N=${N} T=${T} H=${H} D=${D}`, await gpu.readF32(bx), want, 1e-6));
        [bx, bc, bs].forEach((b) => b.destroy());
      }
      expectClose(results);
    });
  }

  it('backward is the transpose of forward (finite differences)', () => {
    const [N, T, H, D] = [6, 3, 2, 8];
    const { cos, sin } = ropeTables({ theta: 500000, scaling: null }, D, T);
    const x = Float64Array.from(new Random(5).floats(N * H * D));
    const weights = Float64Array.from(new Random(6).floats(N * H * D));
    const loss = () => {
      const y = x.slice();
      ropeForwardRef(y, cos, sin, N, T, H, D);
      return y.reduce((acc, v, i) => acc + v * weights[i], 0);
    };
    const dx = weights.slice();
    ropeBackwardRef(dx, cos, sin, N, T, H, D);
    expectGradient('rope dx', loss, x, dx);
  });
});

describe('rotary frequencies', () => {
  it('follow θ^(−2i/D) without scaling', () => {
    const inv = ropeInverseFrequencies({ theta: 10000, scaling: null }, 8);
    expect([...inv]).toEqual([1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]);
  });

  it("apply Llama 3's scaling: long wavelengths divided by the factor, short ones kept, the middle blended", () => {
    // Llama-3.2's settings.
    const scaling = { type: 'llama3' as const, factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };
    const D = 64;
    const plain = ropeInverseFrequencies({ theta: 500000, scaling: null }, D);
    const scaled = ropeInverseFrequencies({ theta: 500000, scaling }, D);
    let sawLow = false;
    let sawHigh = false;
    let sawMiddle = false;
    for (let i = 0; i < D / 2; i++) {
      const wavelen = (2 * Math.PI) / plain[i];
      if (wavelen < 8192 / 4) {
        expect(scaled[i]).toBe(plain[i]);
        sawHigh = true;
      } else if (wavelen > 8192 / 1) {
        expect(scaled[i]).toBeCloseTo(plain[i] / 32, 15);
        sawLow = true;
      } else {
        const smooth = (8192 / wavelen - 1) / (4 - 1);
        expect(scaled[i]).toBeCloseTo((1 - smooth) * (plain[i] / 32) + smooth * plain[i], 15);
        sawMiddle = true;
      }
    }
    expect([sawLow, sawMiddle, sawHigh]).toEqual([true, true, true]);
  });
});
