// The sweep that chose the default learning rates and schedule (src/train/settings.ts): every method
// listed at every learning rate listed, through `gora compare`, scored on the validation split only.
// The test split is never read here: its scores are dropped from what is recorded, so nothing chosen
// from this sweep has seen them.
//
//   node --import tsx scripts/sweep.ts --methods gora,lora --lrs 1e-3,2e-3,5e-3 [--seeds 1]
//     [--label NAME] [--out bench/results/sweep] [-- extra compare flags, e.g. --steps 80 --batch-size 8]
//
// Appends one entry per (method, rate) to OUT/sweep.json and rewrites OUT/sweep.md: a table per
// label and method, the best rate by validation accuracy (then loss) marked. Without --methods and
// --lrs it only rewrites sweep.md from sweep.json.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Stat {
  mean: number;
  sd: number | null;
}

interface Entry {
  label: string;
  method: string;
  lr: number;
  seeds: number[];
  flags: string[];
  valLoss: Stat | null;
  accuracy: Stat | null;
  trainSeconds: number;
}

const { values, positionals } = parseArgs({
  options: {
    methods: { type: 'string' },
    lrs: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    label: { type: 'string', default: 'learning rate' },
    out: { type: 'string', default: 'bench/results/sweep' },
  },
  allowPositionals: true,
});
if (Boolean(values.methods) !== Boolean(values.lrs)) {
  console.error('usage: scripts/sweep.ts --methods gora,lora --lrs 1e-3,2e-3 [--seeds N] [--label NAME] [--out DIR] [-- compare flags]');
  process.exit(2);
}
const methods = values.methods?.split(',') ?? [];
const lrs = values.lrs?.split(',') ?? [];

function compare(lr: string): Array<Omit<Entry, 'label' | 'flags'>> {
  const args = ['--methods', methods.join(','), '--lr', methods.map((m) => `${m}=${lr}`).join(','), '--seeds', values.seeds, '--json', ...positionals];
  const stdout = execFileSync('node', ['--import', 'tsx', '--import', './scripts/raw-import.mjs', 'src/cli/main.ts', 'compare', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 2 ** 20,
  });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
    summaries: Array<{ method: string; seeds: number[]; valLoss: Stat | null; accuracy: Stat | null; trainSeconds: Stat }>;
  };
  // Validation only: the test columns are left behind.
  return report.summaries.map((s) => ({ method: s.method, lr: Number(lr), seeds: s.seeds, valLoss: s.valLoss, accuracy: s.accuracy, trainSeconds: s.trainSeconds.mean }));
}

const file = join(values.out, 'sweep.json');
const entries: Entry[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Entry[]) : [];
mkdirSync(values.out, { recursive: true });
for (const lr of lrs) {
  for (const result of compare(lr)) {
    entries.push({ label: values.label, flags: positionals, ...result });
    console.error(`sweep: ${values.label}: ${result.method} lr ${lr}: accuracy ${result.accuracy ? (100 * result.accuracy.mean).toFixed(1) : '–'}%, loss ${result.valLoss?.mean.toFixed(4) ?? '–'}`);
    writeFileSync(file, JSON.stringify(entries, null, 2) + '\n');
  }
}
writeFileSync(join(values.out, 'sweep.md'), markdown(entries));

function better(a: Entry, b: Entry): boolean {
  const accA = a.accuracy?.mean ?? -1;
  const accB = b.accuracy?.mean ?? -1;
  return accA !== accB ? accA > accB : (a.valLoss?.mean ?? Infinity) < (b.valLoss?.mean ?? Infinity);
}

function markdown(all: readonly Entry[]): string {
  const lines = ['# Sweep on the validation split', '', 'Written by `scripts/sweep.ts`; the best setting of each group (validation accuracy, then loss) is in bold.', ''];
  const groups = new Map<string, Entry[]>();
  for (const e of all) {
    const key = `${e.label} · ${e.method} · ${e.flags.join(' ') || 'defaults'}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  for (const [key, group] of groups) {
    const best = group.reduce((a, b) => (better(b, a) ? b : a));
    lines.push(`## ${key}`, '', '| lr | seeds | validation accuracy % | validation loss | train s |', '|---|---|---|---|---|');
    for (const e of [...group].sort((a, b) => a.lr - b.lr)) {
      const acc = e.accuracy ? `${(100 * e.accuracy.mean).toFixed(1)}${e.accuracy.sd === null ? '' : ` ± ${(100 * e.accuracy.sd).toFixed(1)}`}` : '–';
      const row = `| ${e.lr.toExponential(1)} | ${e.seeds.join(' ')} | ${acc} | ${e.valLoss?.mean.toFixed(4) ?? '–'} | ${e.trainSeconds.toFixed(0)} |`;
      lines.push(e === best ? row.replace(/\| ([^|]+) \|/, '| **$1** |') : row);
    }
    lines.push('');
  }
  return lines.join('\n');
}
