// The benchmark's pure parts: its flags and its FLOP counting.

import { describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs } from '../../bench/core/args';
import { gflops, matmulCases, matmulFlops } from '../../bench/core/flops';
import { DEFAULT_OPTIONS } from '../../bench/core/run';
import { randomSizeSpec, sizeSetup } from '../../bench/core/sizes';

describe('parseBenchArgs', () => {
  it('defaults to the small size, a table and the default repetitions', () => {
    expect(parseBenchArgs([])).toEqual({ size: 'small', json: false, help: false, options: DEFAULT_OPTIONS });
  });

  it('reads every flag', () => {
    const args = parseBenchArgs(['--size', '135m', '--json', '--reps', '7', '--step-reps', '2', '--budget', '90']);
    expect(args.size).toBe('135m');
    expect(args.json).toBe(true);
    expect(args.options).toEqual({ ...DEFAULT_OPTIONS, matmulReps: 7, stepReps: 2, budgetSeconds: 90 });
  });

  it.each([
    [['--size', 'huge'], '--size must be one of tiny, small, 135m, got "huge"'],
    [['--size'], '--size must be one of tiny, small, 135m, got nothing'],
    [['--reps', '0'], '--reps must be a whole number ≥ 1, got "0"'],
    [['--reps', '2.5'], '--reps must be a whole number ≥ 1, got "2.5"'],
    [['--budget'], '--budget needs a value'],
    [['--step-reps', '--json'], '--step-reps needs a value'],
    [['--fast'], 'unknown argument "--fast"'],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('matmulCases', () => {
  const spec = randomSizeSpec(sizeSetup('small')); // d=256, 4/2 heads of 64, F=688
  const cases = matmulCases(spec, 512, 8);
  const find = (name: string) => {
    const c = cases.find((x) => x.name === name);
    if (!c) throw new Error(`no case ${name} in ${cases.map((x) => x.name).join(', ')}`);
    return c;
  };

  it('measures each distinct linear shape once, in the three products of training', () => {
    expect(cases.filter((c) => c.product === 'x·Wᵀ').map((c) => c.layers)).toEqual(['q/o', 'k/v', 'gate/up', 'down']);
    expect(find('gate/up x·Wᵀ')).toMatchObject({ M: 512, N: 688, K: 256, transA: false, transB: true });
    expect(find('gate/up dY·W')).toMatchObject({ M: 512, N: 256, K: 688, transA: false, transB: false });
    expect(find('gate/up dYᵀ·X')).toMatchObject({ M: 688, N: 256, K: 512, transA: true, transB: false });
    expect(find('k/v x·Wᵀ')).toMatchObject({ M: 512, N: 128, K: 256 });
  });

  it('measures the LoRA products once per input and output width', () => {
    expect(find('q/o/k/v/gate/up x·Aᵀ')).toMatchObject({ M: 512, N: 8, K: 256, transB: true });
    expect(find('down x·Aᵀ')).toMatchObject({ M: 512, N: 8, K: 688 });
    expect(find('q/o/down (xAᵀ)·Bᵀ')).toMatchObject({ M: 512, N: 256, K: 8 });
    expect(find('gate/up (xAᵀ)·Bᵀ')).toMatchObject({ M: 512, N: 688, K: 8 });
    expect(cases).toHaveLength(4 * 3 + 2 + 3);
  });

  it('counts 2·M·N·K operations per product', () => {
    expect(matmulFlops(3, 5, 7)).toBe(210);
    for (const c of cases) expect(c.flops).toBe(2 * c.M * c.N * c.K);
    expect(find('down dYᵀ·X').flops).toBe(2 * 256 * 688 * 512);
    expect(gflops(4e9, 2)).toBe(2);
  });

  it('refuses a shape that is not a whole number', () => {
    expect(() => matmulCases(spec, 0, 8)).toThrow('tokens must be a whole number ≥ 1, got 0');
    expect(() => matmulCases(spec, 512, 1.5)).toThrow('rank must be a whole number ≥ 1, got 1.5');
  });
});
