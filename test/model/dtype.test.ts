import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, decodeFloats, encodeValues, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/model/dtype';

const f32 = (x: number): number => Math.fround(x);

describe('f16', () => {
  it('decodes reference bit patterns', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504); // largest finite
    expect(f16ToF32(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(f16ToF32(0x0400)).toBe(2 ** -14); // smallest normal
    expect(f16ToF32(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(f16ToF32(0x7e00)).toBeNaN();
  });

  it('round-trips every one of the 65536 bit patterns (NaNs stay NaN)', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) expect(f16ToF32(f32ToF16(x))).toBeNaN();
      else expect(f32ToF16(x)).toBe(h);
    }
  });

  it('rounds to nearest, ties to even, overflowing to infinity', () => {
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie, even stays down
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, odd rounds up
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f32ToF16(65520)).toBe(0x7c00); // halfway to 2^16 rounds to infinity
    expect(f32ToF16(65519)).toBe(0x7bff);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(f32ToF16(1.5 * 2 ** -25)).toBe(1);
    expect(f32ToF16(-1e-10)).toBe(0x8000);
  });

  it('picks the nearest representable half for any float (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: -65504, max: 65504, noNaN: true }), (x) => {
        const h = f32ToF16(x);
        const y = f16ToF32(h);
        // Neighbours in bit order are the adjacent halves on the same side of zero.
        const neighbours = [h - 1, h + 1].filter((n) => (n & 0x7fff) < 0x7c00 && n >= 0 && (n & 0x8000) === (h & 0x8000));
        for (const n of neighbours) expect(Math.abs(f16ToF32(n) - x)).toBeGreaterThanOrEqual(Math.abs(y - x));
      }),
    );
  });
});

describe('bf16', () => {
  it('is the top half of an f32, rounded to nearest even', () => {
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc040)).toBe(-3);
    expect(f32ToBf16(f32(1 + 2 ** -8))).toBe(0x3f80); // tie, even stays down
    expect(f32ToBf16(f32(1 + 3 * 2 ** -8))).toBe(0x3f82); // tie, odd rounds up
    expect(f32ToBf16(f32(1 + 2 ** -8 + 2 ** -20))).toBe(0x3f81);
    expect(f32ToBf16(3.4028234663852886e38)).toBe(0x7f80); // max f32 rounds to infinity
    expect(f32ToBf16(Infinity)).toBe(0x7f80);
    expect(bf16ToF32(f32ToBf16(NaN))).toBeNaN();
  });

  it('round-trips every bf16 bit pattern', () => {
    for (let b = 0; b < 0x10000; b++) {
      const x = bf16ToF32(b);
      if (Number.isNaN(x)) expect(bf16ToF32(f32ToBf16(x))).toBeNaN();
      else expect(f32ToBf16(x)).toBe(b);
    }
  });

  it('has a relative error of at most 2^-8 (half an ulp) for normal floats (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: f32(-1e30), max: f32(1e30), noNaN: true }), (x) => {
        const y = bf16ToF32(f32ToBf16(x));
        if (Math.abs(x) >= 2 ** -126) expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8);
      }),
    );
  });
});

describe('encode / decode', () => {
  it('decodes F32, F16, BF16 and F64 bytes, aligned or not', () => {
    const values = [0, 1, -2.5, 0.15625, 1024];
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const bytes = encodeValues(values, dtype);
      expect(Array.from(decodeFloats(bytes, dtype))).toEqual(values);
      const shifted = new Uint8Array(bytes.byteLength + 1);
      shifted.set(bytes, 1);
      expect(Array.from(decodeFloats(shifted.subarray(1), dtype))).toEqual(values);
    }
    const bytes = encodeValues(values, 'F32');
    expect(decodeFloats(bytes, 'F32').buffer).not.toBe(bytes.buffer);
    expect(decodeFloats(bytes, 'F32', true).buffer).toBe(bytes.buffer);
    const f64 = new Uint8Array(new Float64Array(values).buffer);
    expect(Array.from(decodeFloats(f64, 'F64'))).toEqual(values);
  });
});
