// Command-line flags of `npm run bench`, parsed without touching Node (the page builds the same
// options from its form).

import { DEFAULT_OPTIONS, type BenchOptions } from './run';
import { isBenchSize, SIZES, type BenchSize } from './sizes';

export interface BenchArgs {
  size: BenchSize;
  json: boolean;
  help: boolean;
  options: BenchOptions;
}

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export const BENCH_USAGE = `usage: npm run -s bench -- [--size ${SIZES.join('|')}] [--json] [--reps N] [--step-reps N] [--budget SECONDS]

Compares our engine with TensorFlow.js's WebGPU backend on the same GPU device.
  --size        tiny: the built-in model (public/models/gora-tiny); small: Llama d=256, 4 layers,
                vocab 4096, batch 4 × seq 128; 135m: SmolLM2-135M's shapes, batch 2 × seq 256 (for real GPUs). Default small.
  --json        print the result as one JSON object on the last line
  --reps        timed runs per matmul shape and side, at most (default ${DEFAULT_OPTIONS.matmulReps})
  --step-reps   timed training and scan steps per side, at most (default ${DEFAULT_OPTIONS.stepReps})
  --budget      seconds the run aims to stay within; later numbers get fewer runs, never none (default ${DEFAULT_OPTIONS.budgetSeconds})`;

function wholeNumber(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || value.startsWith('--')) throw new BenchUsageError(`${flag} needs a value`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new BenchUsageError(`${flag} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { size: 'small', json: false, help: false, options: { ...DEFAULT_OPTIONS } };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case '--size': {
        const size = value();
        if (size === undefined || !isBenchSize(size)) throw new BenchUsageError(`--size must be one of ${SIZES.join(', ')}, got ${size === undefined ? 'nothing' : `"${size}"`}`);
        args.size = size;
        break;
      }
      case '--json':
        args.json = true;
        break;
      case '--reps':
        args.options.matmulReps = wholeNumber(flag, value(), 1);
        break;
      case '--step-reps':
        args.options.stepReps = wholeNumber(flag, value(), 1);
        break;
      case '--budget':
        args.options.budgetSeconds = wholeNumber(flag, value(), 1);
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new BenchUsageError(`unknown argument "${flag}"`);
    }
  }
  return args;
}
