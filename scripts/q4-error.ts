// Measures the error of q4 code books and block sizes, which chose Q4_BLOCK and Q4_CODEBOOK
// (docs/weights.md, "q4"): NF4 against uniform symmetric int4, blocks of 32, 64 and 128, on Gaussian
// matrices and on the linear weights of the built-in model. Also int8 for reference.
//
//   node --import tsx --import ./scripts/raw-import.mjs scripts/q4-error.ts [model.safetensors]

import { nodeFileSource } from '../src/model/node-files';
import { SafetensorsFile } from '../src/model/safetensors';
import { dequantiseQ4, packWeight, quantiseQ4, unpackWeight } from '../src/engine/pack-weights';
import { int4Codebook, nf4Codebook } from '../src/engine/q4-codebook';
import { Random } from '../src/engine/random';

const path = process.argv[2] ?? 'public/models/gora-tiny/model.safetensors';
const LINEAR = /(q|k|v|o|gate|up|down)_proj\.weight$/;

function gaussian(rng: Random, n: number): Float32Array {
  // Box–Muller: two uniforms give a standard normal.
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));
}

interface Matrix {
  rows: number;
  cols: number;
  values: Float32Array;
}

/** Relative RMS error Σ(w − ŵ)² / Σw² (square-rooted) and max |w − ŵ| over all matrices together. */
function errors(matrices: Matrix[], decode: (m: Matrix) => Float32Array): { rel: number; maxAbs: number } {
  let se = 0;
  let ss = 0;
  let maxAbs = 0;
  for (const m of matrices) {
    const got = decode(m);
    for (let i = 0; i < got.length; i++) {
      const d = got[i] - m.values[i];
      se += d * d;
      ss += m.values[i] * m.values[i];
      maxAbs = Math.max(maxAbs, Math.abs(d));
    }
  }
  return { rel: Math.sqrt(se / ss), maxAbs };
}

const rng = new Random(2024);
const sets: Array<{ name: string; matrices: Matrix[] }> = [
  { name: 'Gaussian N(0,1), 4 × 256×256', matrices: Array.from({ length: 4 }, () => ({ rows: 256, cols: 256, values: gaussian(rng, 256 * 256) })) },
];
const file = await SafetensorsFile.open(await nodeFileSource(path));
const real: Matrix[] = [];
for (const name of file.names().filter((n) => LINEAR.test(n))) {
  const [rows, cols] = file.info(name).shape;
  real.push({ rows, cols, values: await file.readFloats(name) });
}
const count = real.reduce((sum, m) => sum + m.values.length, 0);
sets.push({ name: `${path}: ${real.length} linear weights, ${count} values`, matrices: real });

const CODEBOOKS = { NF4: nf4Codebook(), 'int4 (uniform)': int4Codebook() };
console.log(`NF4 code book: ${Array.from(CODEBOOKS.NF4, (v) => v.toFixed(7)).join(', ')}`);
for (const { name, matrices } of sets) {
  console.log(`\n${name}\n| format | bits per weight | relative RMS error | max abs error |\n|---|---|---|---|`);
  for (const [book, codebook] of Object.entries(CODEBOOKS)) {
    for (const block of [32, 64, 128]) {
      const e = errors(matrices, (m) => {
        const { codes, scales } = quantiseQ4(m.values, block, codebook);
        return dequantiseQ4(codes, scales, block, codebook);
      });
      console.log(`| q4 ${book}, block ${block} | ${(4 + 16 / block).toFixed(3)} | ${(100 * e.rel).toFixed(2)} % | ${e.maxAbs.toExponential(2)} |`);
    }
  }
  for (const format of ['int8', 'bf16', 'f16'] as const) {
    const e = errors(matrices, (m) => unpackWeight(format, m.rows, m.cols, packWeight(format, m.rows, m.cols, m.values)));
    const bits = format === 'int8' ? `8 + 32/cols` : '16';
    console.log(`| ${format} | ${bits} | ${(100 * e.rel).toFixed(3)} % | ${e.maxAbs.toExponential(2)} |`);
  }
}
