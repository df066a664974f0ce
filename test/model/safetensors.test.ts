import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/engine/random';
import { memorySource, type ByteSource } from '../../src/model/bytes';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/model/dtype';
import { ModelFormatError } from '../../src/model/errors';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../src/model/safetensors';

/** A safetensors file assembled by hand: any header text, any declared length, any data. */
function rawFile(header: string | object, data: Uint8Array | number = 0, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(body, 8 + json.byteLength);
  return out;
}

async function openBytes(bytes: Uint8Array, name = 'bad.safetensors'): Promise<SafetensorsFile> {
  return SafetensorsFile.open(memorySource(name, bytes));
}

/** Opening must fail with a ModelFormatError whose message names the file and matches `pattern`. */
async function expectFormatError(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  const error = await openBytes(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as Error).message).toContain('bad.safetensors');
  expect((error as Error).message).toMatch(pattern);
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors writer and reader', () => {
  it('lays out bytes as the reference: u64 length, space-padded header, data by dtype size then name', () => {
    const bytes = writeSafetensors(
      [
        { name: 'b', dtype: 'F16', shape: [1], data: [1] },
        { name: 'a', dtype: 'F32', shape: [2], data: [1, -2] },
      ],
      { format: 'pt' },
    );
    const header =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F16","shape":[1],"data_offsets":[8,10]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const expected = rawFile(padded, new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c]));
    expect(Array.from(bytes)).toEqual(Array.from(expected));
    expect((bytes.byteLength - 10) % 8).toBe(0);
  });

  it('round-trips F32, F16, BF16 and I32, including scalars and empty tensors', async () => {
    const rng = new Random(7);
    const values = rng.floats(6 * 5, -3, 3);
    const tensors: TensorToWrite[] = [
      { name: 'w.f32', dtype: 'F32', shape: [6, 5], data: values },
      { name: 'w.f16', dtype: 'F16', shape: [6, 5], data: values },
      { name: 'w.bf16', dtype: 'BF16', shape: [5, 6], data: values },
      { name: 'ids', dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)]) },
      { name: 'scalar', dtype: 'F32', shape: [], data: [0.5] },
      { name: 'empty', dtype: 'F16', shape: [0, 3], data: [] },
    ];
    const file = await openBytes(writeSafetensors(tensors, { note: 'hi' }), 'round.safetensors');
    expect(file.metadata).toEqual({ note: 'hi' });
    expect(file.names().sort()).toEqual(['empty', 'ids', 'scalar', 'w.bf16', 'w.f16', 'w.f32']);
    expect(file.info('w.bf16')).toMatchObject({ dtype: 'BF16', shape: [5, 6] });
    expect(Array.from(await file.readFloats('w.f32'))).toEqual(Array.from(values));
    expect(Array.from(await file.readFloats('w.f16'))).toEqual(Array.from(values, (x) => f16ToF32(f32ToF16(x))));
    expect(Array.from(await file.readFloats('w.bf16'))).toEqual(Array.from(values, (x) => bf16ToF32(f32ToBf16(x))));
    const ids = await file.readTensor('ids');
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([0, -1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(Array.from(await file.readFloats('scalar'))).toEqual([0.5]);
    expect((await file.readFloats('empty')).length).toBe(0);
  });

  it('round-trips random tensor lists (property)', async () => {
    const tensorArb = fc.record({
      dtype: fc.constantFrom('F32' as const, 'F16' as const, 'BF16' as const),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      seed: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(tensorArb, { minLength: 1, maxLength: 5 }), async (specs) => {
        const tensors = specs.map((s, i) => {
          const n = s.shape.reduce((a, d) => a * d, 1);
          return { name: `t${i}`, dtype: s.dtype, shape: s.shape, data: new Random(s.seed).floats(n, -2, 2) };
        });
        const file = await openBytes(writeSafetensors(tensors), 'prop.safetensors');
        for (const t of tensors) {
          const round = t.dtype === 'F16' ? (x: number) => f16ToF32(f32ToF16(x)) : t.dtype === 'BF16' ? (x: number) => bf16ToF32(f32ToBf16(x)) : (x: number) => x;
          expect(file.info(t.name).shape).toEqual(t.shape);
          expect(Array.from(await file.readFloats(t.name))).toEqual(Array.from(t.data, round));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reads the header first and then only the requested tensor', async () => {
    const bytes = writeSafetensors([
      { name: 'a', dtype: 'F32', shape: [100], data: new Float32Array(100) },
      { name: 'b', dtype: 'F32', shape: [3], data: [1, 2, 3] },
    ]);
    const inner = memorySource('count.safetensors', bytes);
    const reads: Array<[number, number]> = [];
    const counting: ByteSource = { ...inner, read: (offset, length) => (reads.push([offset, length]), inner.read(offset, length)) };
    const file = await SafetensorsFile.open(counting);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(reads).toEqual([[0, 8], [8, headerLength]]);
    expect(Array.from(await file.readFloats('b'))).toEqual([1, 2, 3]);
    expect(reads[2]).toEqual([file.info('b').begin, 12]);
  });

  it('refuses bad writer input', () => {
    expect(() => writeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 2], data: [1, 2, 3] }])).toThrow(/3 values for shape \[2,2\]/);
    expect(() => writeSafetensors([{ name: '__metadata__', dtype: 'F32', shape: [1], data: [1] }])).toThrow(/reserved/);
  });
});

describe('safetensors validation', () => {
  const good = writeSafetensors([{ name: 'layer.weight', dtype: 'F32', shape: [4, 4], data: new Float32Array(16) }]);

  it('refuses a truncated file', async () => {
    await expectFormatError(good.slice(0, good.byteLength - 4), /tensor "layer\.weight".*run past the end of the data section.*truncated/);
    await expectFormatError(good.slice(0, 20), /header length \d+ runs past the end of the file \(20 bytes/);
    await expectFormatError(good.slice(0, 5), /5 bytes, too short/);
  });

  it('refuses a header length beyond the file or beyond the 100 MB cap', async () => {
    await expectFormatError(rawFile({}, 0, 1000n), /header length 1000 runs past the end of the file/);
    await expectFormatError(rawFile({}, 0, 2n ** 40n), /header length 1099511627776 exceeds the 100000000-byte limit/);
  });

  it('refuses overlapping tensors', async () => {
    const header = { a: entry('F32', [4], 0, 16), b: entry('F32', [2], 8, 16) };
    await expectFormatError(rawFile(header, 16), /tensor "b" \[8, 16\] overlaps tensor "a" \[0, 16\]/);
  });

  it('refuses offsets out of range', async () => {
    await expectFormatError(rawFile({ a: entry('F32', [4], 0, 16) }, 12), /tensor "a": data_offsets \[0, 16\] run past the end of the data section \(12 bytes/);
    await expectFormatError(rawFile({ a: entry('F32', [0], 8, 4) }, 8), /tensor "a": data_offsets \[8,4\] is not \[begin, end\]/);
    await expectFormatError(rawFile({ a: entry('F32', [1], -4, 0) }, 8), /tensor "a": data_offsets/);
  });

  it('refuses an unknown dtype', async () => {
    await expectFormatError(rawFile({ a: entry('F7', [2], 0, 2) }, 2), /tensor "a": unknown dtype "F7"/);
  });

  it('refuses a shape that does not match the byte range', async () => {
    await expectFormatError(rawFile({ a: entry('F16', [2, 3], 0, 8) }, 8), /tensor "a": shape \[2,3\] of F16 needs 12 bytes but data_offsets \[0, 8\] hold 8/);
    await expectFormatError(rawFile({ a: entry('F32', [2, -1], 0, 8) }, 8), /tensor "a": shape \[2,-1\] is not a list of non-negative integers/);
    await expectFormatError(rawFile({ a: entry('F32', [1.5], 0, 4) }, 8), /tensor "a": shape/);
  });

  it('refuses a header that is not a JSON object', async () => {
    await expectFormatError(rawFile('{"a": {"dtype": "F32",', 0), /header is not valid UTF-8 JSON/);
    await expectFormatError(rawFile('[1, 2]', 0), /header is not a JSON object/);
    await expectFormatError(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe]), /header is not valid UTF-8 JSON/);
    await expectFormatError(rawFile({ a: 5 }, 0), /tensor "a": header entry is not an object/);
    await expectFormatError(rawFile({ __metadata__: { n: 1 } }, 0), /__metadata__\.n is not a string/);
  });

  it('refuses to read a non-float tensor as floats, and a tensor that is not there', async () => {
    const file = await openBytes(rawFile({ ids: entry('I64', [2], 0, 16) }, 16));
    await expect(file.readFloats('ids')).rejects.toThrow(/tensor "ids" has dtype I64, expected a float type/);
    expect(() => file.info('nope')).toThrow(ModelFormatError);
    expect(() => file.info('nope')).toThrow(/bad\.safetensors: has no tensor "nope"/);
  });
});
