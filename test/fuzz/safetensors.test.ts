// Fuzzing the safetensors reader: valid files written by writeSafetensors, then truncated,
// bit-flipped, given another header length, or given a header whose JSON is valid but wrong (types,
// shapes, offsets, nesting); and bytes with no structure at all. Every file that opens has each of
// its tensors read too, since a header that validates must describe bytes that can be decoded.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memorySource, type ByteSource } from '../../src/model/bytes';
import { ModelFormatError } from '../../src/model/errors';
import { MAX_HEADER_BYTES, SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../src/model/safetensors';
import { RUNS, Tally } from './harness';
import { mutateBytes, mutateJson } from './mutate';

const ramp = (n: number): number[] => Array.from({ length: n }, (_, i) => (i - n / 2) / 3);

const BASES: Uint8Array[] = [
  writeSafetensors([
    { name: 'w', dtype: 'F32', shape: [2, 3], data: ramp(6) },
    { name: 'b', dtype: 'F16', shape: [3], data: ramp(3) },
  ]),
  writeSafetensors(
    [
      { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [4, 2], data: ramp(8) },
      { name: 'ids', dtype: 'I32', shape: [5], data: [0, -1, 7, 2 ** 31 - 1, -(2 ** 31)] },
      { name: 'scalar', dtype: 'F32', shape: [], data: [0.25] },
      { name: 'empty', dtype: 'F16', shape: [0, 4], data: [] },
    ] satisfies TensorToWrite[],
    { format: 'pt', note: 'fuzz base' },
  ),
  writeSafetensors([{ name: 'only', dtype: 'F32', shape: [1], data: [1] }]),
];

/** Splits a valid file into its header JSON and its data section. */
function partsOf(file: Uint8Array): { header: unknown; data: Uint8Array } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))), data: file.subarray(8 + length) };
}

/** A file from a header text (any bytes) and a data section, with a correct length prefix. */
function assemble(header: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Wrong-but-parseable headers: every field of every entry open to nasty values, over the real data. */
const headerMutations = fc.constantFrom(...BASES.map(partsOf)).chain(({ header, data }) =>
  mutateJson(header, 4).map((mutated) => assemble(encode(JSON.stringify(mutated) ?? ''), data)),
);

/** A header entry with shape and offsets drawn from the full range, including past 2^53. */
const hugeNumbers = fc
  .record({
    shape: fc.array(fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 64, 1e300)), { maxLength: 5 }),
    begin: fc.oneof(fc.nat(64), fc.constantFrom(2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1)),
    end: fc.oneof(fc.nat(64), fc.constantFrom(2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e300, -1)),
    dataLength: fc.nat(64),
  })
  .map(({ shape, begin, end, dataLength }) =>
    assemble(encode(JSON.stringify({ t: { dtype: 'F32', shape, data_offsets: [begin, end] } })), new Uint8Array(dataLength)),
  );

/** Valid JSON whose dtype, shape or offsets (or the metadata) is a deeply nested array. */
const deepFields = fc
  .tuple(fc.constantFrom('dtype', 'shape', 'data_offsets', '__metadata__'), fc.integer({ min: 1, max: 100_000 }))
  .map(([field, depth]) => {
    const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const entry: Record<string, string> = { dtype: '"F32"', shape: '[1]', data_offsets: '[0,4]' };
    const text =
      field === '__metadata__'
        ? `{"__metadata__":${deep},"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
        : `{"t":{${Object.entries({ ...entry, [field]: deep }).map(([k, v]) => `"${k}":${v}`).join(',')}}}`;
    return assemble(encode(text), new Uint8Array(4));
  });

/** Any u64 as the header length, in front of a valid file's remaining bytes. */
const headerLengths = fc.tuple(fc.constantFrom(...BASES), fc.bigInt(0n, 2n ** 64n - 1n)).map(([base, length]) => {
  const out = base.slice();
  new DataView(out.buffer).setBigUint64(0, length, true);
  return out;
});

/** Random bytes, bare or behind a plausible length prefix, and random JSON as a header. */
const randomFiles = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.tuple(fc.nat(600), fc.uint8Array({ maxLength: 600 })).map(([length, rest]) => {
    const out = new Uint8Array(8 + rest.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
    out.set(rest, 8);
    return out;
  }),
  fc.tuple(fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 })).map(([json, data]) => assemble(encode(json), data)),
);

const malformed = fc.oneof(
  { arbitrary: fc.constantFrom(...BASES).chain((base) => mutateBytes(base)), weight: 4 },
  { arbitrary: headerMutations, weight: 4 },
  { arbitrary: hugeNumbers, weight: 1 },
  { arbitrary: deepFields, weight: 1 },
  { arbitrary: headerLengths, weight: 1 },
  { arbitrary: randomFiles, weight: 2 },
);

/** Opens the file and reads every tensor it declares, as a model load would. */
async function openAndRead(bytes: Uint8Array): Promise<void> {
  const file = await SafetensorsFile.open(memorySource('fuzz.safetensors', bytes));
  for (const name of file.names()) {
    const { dtype, shape, begin, end } = file.info(name);
    const data = await file.readBytes(name);
    expect(data.length).toBe(end - begin);
    expect(shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    if (dtype === 'F32' || dtype === 'F16' || dtype === 'BF16' || dtype === 'F64' || dtype === 'I32') await file.readTensor(name);
  }
}

describe('safetensors reader under malformed input', () => {
  it('ends every malformed file in a ModelFormatError or a valid read', async () => {
    const tally = new Tally('safetensors', [ModelFormatError]);
    await fc.assert(
      fc.asyncProperty(malformed, (bytes) => tally.check(() => openAndRead(bytes))),
      { seed: 0x5afe, numRuns: RUNS },
    );
    console.log(tally.report());
    expect(tally.total).toBe(RUNS);
    expect(tally.refused).toBeGreaterThan(RUNS / 2);
  });

  /** A source that claims a size, serves zeros after the prefix, and records every read it is asked for. */
  function claimedSource(prefix: Uint8Array, size: number): { source: ByteSource; reads: number[] } {
    const reads: number[] = [];
    const source: ByteSource = {
      name: 'claimed.safetensors',
      size,
      async read(offset, length) {
        reads.push(length);
        const out = new Uint8Array(length);
        out.set(prefix.subarray(offset, offset + length));
        return out;
      },
    };
    return { source, reads };
  }

  it.each([
    ['2^53', 2n ** 53n],
    ['2^64 - 1', 2n ** 64n - 1n],
    ['the cap + 1', BigInt(MAX_HEADER_BYTES + 1)],
  ])('refuses a header length of %s before reading anything past the prefix', async (_, length) => {
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, length, true);
    // A source as large as it claims: only the length check stands between it and the allocation.
    const { source, reads } = claimedSource(prefix, Number.MAX_SAFE_INTEGER);
    const start = performance.now();
    await expect(SafetensorsFile.open(source)).rejects.toThrow(ModelFormatError);
    await expect(SafetensorsFile.open(source)).rejects.toThrow(/exceeds the 100000000-byte limit/);
    expect(performance.now() - start).toBeLessThan(100);
    expect(Math.max(...reads)).toBe(8);
  });

  it('refuses a header of 10^8 nested brackets quickly', async () => {
    const length = MAX_HEADER_BYTES;
    const bytes = new Uint8Array(8 + length).fill('['.charCodeAt(0), 8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(length), true);
    const start = performance.now();
    await expect(SafetensorsFile.open(memorySource('nested.safetensors', bytes))).rejects.toThrow(/nested deeper than/);
    const elapsed = performance.now() - start;
    console.log(`safetensors: 10^8-deep header refused in ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeLessThan(3000);
  });
});
