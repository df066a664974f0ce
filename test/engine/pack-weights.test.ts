import { describe, expect, it } from 'vitest';
import { dequantiseQ4, packHalfBytes, packWeight, quantiseQ4, unpackWeight } from '../../src/engine/pack-weights';
import { int4Codebook, nf4Codebook, normalCdf, normalQuantile } from '../../src/engine/q4-codebook';
import { Q4_BLOCK, Q4_CODEBOOK, WEIGHT_FORMATS, dataBytes, scaleBytes } from '../../src/engine/weight-format';
import { bf16ToF32, decodeFloats, encodeValues, f16ToF32, f32ToF16 } from '../../src/model/dtype';
import { Random } from '../../src/engine/random';

const SHAPES: Array<[rows: number, cols: number]> = [
  [1, 1],
  [37, 53],
  [8, 12],
  [3, 65],
];

describe('packWeight / unpackWeight', () => {
  it('fills exactly the buffers weight-format.ts sizes, for every format and odd shape', () => {
    for (const format of WEIGHT_FORMATS) {
      for (const [rows, cols] of SHAPES) {
        const packed = packWeight(format, rows, cols, new Random(rows).floats(rows * cols));
        expect(packed.data.byteLength, `${format} ${rows}×${cols}`).toBe(dataBytes(format, rows, cols));
        expect(packed.scales?.byteLength ?? 0, `${format} ${rows}×${cols} scales`).toBe(scaleBytes(format, rows, cols));
        expect(unpackWeight(format, rows, cols, packed)).toHaveLength(rows * cols);
      }
    }
  });

  it('f32 round-trips exactly', () => {
    const values = new Random(1).floats(37 * 53, -100, 100);
    expect(unpackWeight('f32', 37, 53, packWeight('f32', 37, 53, values))).toEqual(values);
  });

  for (const [format, dtype] of [['bf16', 'BF16'], ['f16', 'F16']] as const) {
    it(`${format}: packing a checkpoint's raw bytes equals packing its floats, rounded to nearest even`, () => {
      for (const [rows, cols] of SHAPES) {
        const values = new Random(rows * cols).floats(rows * cols, -3, 3);
        const bytes = encodeValues(values, dtype);
        const fromFloats = packWeight(format, rows, cols, values);
        expect(packHalfBytes(bytes)).toEqual(fromFloats.data);
        // unpack gives what the checkpoint's dtype means (decodeFloats is the loader's widening).
        expect(unpackWeight(format, rows, cols, fromFloats)).toEqual(decodeFloats(bytes, dtype));
      }
    });
  }

  it('bf16 unpacks exactly: a value bf16 can hold comes back unchanged, ties round to even', () => {
    const exact = Float32Array.from(new Random(2).floats(999, -50, 50), (v) => bf16ToF32(packWeight('bf16', 1, 1, new Float32Array([v])).data[0]));
    expect(unpackWeight('bf16', 27, 37, packWeight('bf16', 27, 37, exact))).toEqual(exact);
    // 1 + 2⁻⁸ lies halfway between 1 and 1 + 2⁻⁷: even mantissa wins (1); 1 + 3·2⁻⁸ rounds up to 1 + 2⁻⁶.
    const ties = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8]);
    expect(Array.from(unpackWeight('bf16', 1, 2, packWeight('bf16', 1, 2, ties)))).toEqual([1, 1 + 2 ** -6]);
  });

  it('f16 unpacks to the nearest binary16', () => {
    const values = new Random(3).floats(53, -2, 2);
    const got = unpackWeight('f16', 1, 53, packWeight('f16', 1, 53, values));
    expect(Array.from(got)).toEqual(Array.from(values, (v) => f16ToF32(f32ToF16(v))));
  });

  it('int8: per-row absmax scale, |w − ŵ| ≤ scale/2, the row extreme kept, a zero row exact', () => {
    const [rows, cols] = [37, 53];
    const values = new Random(4).floats(rows * cols, -2, 2);
    for (let c = 0; c < cols; c++) values[5 * cols + c] = 0; // row 5: all zero
    for (let c = 0; c < cols; c++) values[6 * cols + c] *= 1e-3; // row 6: a small row keeps its precision
    const packed = packWeight('int8', rows, cols, values);
    const scales = packed.scales as Float32Array;
    const got = unpackWeight('int8', rows, cols, packed);
    for (let r = 0; r < rows; r++) {
      const row = values.subarray(r * cols, (r + 1) * cols);
      const max = Math.max(...Array.from(row, Math.abs));
      expect(scales[r]).toBe(Math.fround(max / 127));
      for (let c = 0; c < cols; c++) {
        expect(Math.abs(got[r * cols + c] - row[c]), `row ${r} col ${c}`).toBeLessThanOrEqual(scales[r] / 2 * (1 + 1e-6));
      }
      if (max > 0) expect(Math.max(...Array.from(got.subarray(r * cols, (r + 1) * cols), Math.abs))).toBeCloseTo(max, 6);
    }
    expect(scales[5]).toBe(0);
    expect(Array.from(got.subarray(5 * cols, 6 * cols)).every((v) => v === 0)).toBe(true);
  });

  it('q4: values are codebook · f16 block scale, within half the widest code gap of the block absmax', () => {
    const [rows, cols] = [37, 53]; // blocks straddle rows; the last block is short
    const values = new Random(5).floats(rows * cols, -2, 2);
    values.fill(0, Q4_BLOCK, 2 * Q4_BLOCK); // block 1: all zero
    const packed = packWeight('q4', rows, cols, values);
    const got = unpackWeight('q4', rows, cols, packed);
    const gaps = Array.from({ length: 15 }, (_, i) => Q4_CODEBOOK[i + 1] - Q4_CODEBOOK[i]);
    const halfGap = Math.max(...gaps) / 2;
    for (let b = 0; b * Q4_BLOCK < values.length; b++) {
      const block = values.subarray(b * Q4_BLOCK, (b + 1) * Q4_BLOCK);
      const max = Math.max(...Array.from(block, Math.abs));
      const scale = f16ToF32(f32ToF16(max));
      for (let i = 0; i < block.length; i++) {
        const v = got[b * Q4_BLOCK + i];
        expect(Q4_CODEBOOK.some((code) => Math.fround(code * scale) === v)).toBe(true);
        // f16 rounding of the scale moves every code by at most 2⁻¹¹ of the absmax.
        expect(Math.abs(v - block[i]), `block ${b} element ${i}`).toBeLessThanOrEqual(halfGap * max + 2 ** -11 * max + 1e-7);
      }
    }
    expect(Array.from(got.subarray(Q4_BLOCK, 2 * Q4_BLOCK)).every((v) => v === 0)).toBe(true);
    const { codes, scales } = quantiseQ4(values, Q4_BLOCK, Q4_CODEBOOK);
    expect(got).toEqual(dequantiseQ4(codes, scales, Q4_BLOCK, Q4_CODEBOOK));
  });

  it('q4 encodes each value to its nearest code', () => {
    const values = new Random(6).floats(4 * Q4_BLOCK);
    const { codes, scales } = quantiseQ4(values, Q4_BLOCK, Q4_CODEBOOK);
    codes.forEach((q, i) => {
      const x = values[i] / scales[Math.floor(i / Q4_BLOCK)];
      const best = Math.min(...Array.from(Q4_CODEBOOK, (c) => Math.abs(c - x)));
      expect(Math.abs(Q4_CODEBOOK[q] - x)).toBeCloseTo(best, 6);
    });
  });

  it('rejects a value count that does not match the shape', () => {
    expect(() => packWeight('int8', 3, 4, new Float32Array(11))).toThrow(/11 values for a 3×4 weight/);
  });
});

describe('q4 code books', () => {
  it('NF4 is ascending in [-1, 1] with an exact 0 and the values QLoRA publishes', () => {
    const nf4 = nf4Codebook();
    // QLoRA (Dettmers et al. 2023), appendix E: the NF4 data type's values.
    const published = [-1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0,
      0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1];
    nf4.forEach((v, i) => expect(v, `code ${i}`).toBeCloseTo(published[i], 6));
    expect(Q4_CODEBOOK).toEqual(nf4);
  });

  it('uniform int4 steps by 1/7 with an exact 0', () => {
    expect(Array.from(int4Codebook().subarray(1), (v) => Math.round(v * 7))).toEqual([-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('Φ and Φ⁻¹ agree with known quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 7);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 5);
  });
});
