// Runs `gora finetune` on the real-sized stand-ins (./scale-models.ts) and measures what size costs:
// load time, peak memory of the process (JS heap, heap + typed arrays, resident high-water mark),
// the GPU memory estimate and measured peak (from gora_report.json's `memory` when the run writes
// it), and seconds per scan batch and per step. Writes scale-runs.json and scale-runs.md to --out.
//
//   npx tsx scripts/scale-runs.ts [--models smollm2-135m,qwen2.5-0.5b,llama3.2-1b] [--weights f32,bf16]
//       [--out runs/scale] [--data FILE] [-- extra finetune flags, e.g. --gpu-memory 6GiB]
//
// Without --weights each model runs once with finetune's default weight storage.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SCALE_MODELS, cachedScaleModel, isScaleModel, scaleConfig, stateDict } from './scale-models';

const ROOT = join(import.meta.dirname, '..');
const separator = process.argv.indexOf('--');
const extra = separator >= 0 ? process.argv.slice(separator + 1) : [];
const { values } = parseArgs({
  args: process.argv.slice(2, separator >= 0 ? separator : undefined),
  options: { models: { type: 'string' }, weights: { type: 'string' }, out: { type: 'string' }, data: { type: 'string' } },
  strict: true,
});
const models = (values.models ?? SCALE_MODELS.join(',')).split(',').map((m) => m.trim());
for (const m of models) if (!isScaleModel(m)) throw new Error(`unknown model ${m} (known: ${SCALE_MODELS.join(', ')})`);
const formats: Array<string | null> = values.weights ? values.weights.split(',').map((w) => w.trim()) : [null];
const out = resolve(values.out ?? join(ROOT, 'runs', 'scale'));

/** The settings of every run: the shortest GoRA run that still times two scan batches and two steps. */
const SETTINGS = ['--method', 'gora', '--scan-batches', '2', '--steps', '2', '--batch-size', '1', '--seq-len', '64', '--eval-every', '0', '--eval-batches', '1', '--generate', '0'];

interface Row {
  model: string;
  weights: string;
  parameters: number;
  command: string;
  exitCode: number | null;
  wallSeconds: number;
  loadSeconds: number | null;
  scanSecondsPerBatch: number | null;
  stepSeconds: number[];
  phaseSeconds: Record<string, number>;
  peakHeapBytes: number | null;
  peakHeapAndExternalBytes: number | null;
  peakRssBytes: number | null;
  gpuEstimate: Record<string, number> | null;
  gpuEstimateLine: string | null;
  gpuPeakBytes: number | null;
  error: string | null;
}

/** Runs one finetune as package.json's `gora` script does, with the memory sampler loaded first. */
async function runOne(model: string, weights: string | null): Promise<Row> {
  const dir = cachedScaleModel(model as (typeof SCALE_MODELS)[number]);
  const runDir = join(out, `${model}-${weights ?? 'default'}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const memoryFile = join(runDir, 'process-memory.json');
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.gora;
  const [node, ...nodeArgs] = script.split(' ');
  const args = [
    '--import', './scripts/memory-sampler.mjs', ...nodeArgs,
    'finetune', '--model', dir, ...SETTINGS, '--out', runDir,
    ...(values.data ? ['--data', values.data] : []), ...(weights ? ['--weights', weights] : []), ...extra,
  ];
  const command = ['npm run -s gora --', ...args.slice(args.indexOf('finetune'))].join(' ');
  console.error(`\n== ${model}, weights ${weights ?? 'default'}: ${command}`);
  const started = performance.now();
  const lines: Array<{ at: number; text: string }> = [];
  const child = spawn(node, args, { cwd: ROOT, env: { ...process.env, GORA_MEMORY_OUT: memoryFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const text of parts) {
      lines.push({ at: (performance.now() - started) / 1000, text });
      console.error(`   ${text.length > 200 ? text.slice(0, 200) + '…' : text}`);
    }
  });
  child.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const exitCode = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const wallSeconds = (performance.now() - started) / 1000;

  const report = existsSync(join(runDir, 'gora_report.json')) ? JSON.parse(readFileSync(join(runDir, 'gora_report.json'), 'utf8')) : null;
  const memory = existsSync(memoryFile) ? JSON.parse(readFileSync(memoryFile, 'utf8')) : null;
  const phaseSeconds: Record<string, number> = { ...(report?.seconds ?? {}) };
  // Without a report (a failed run), the phase times the CLI printed.
  for (const { text } of lines) {
    const m = /^(\w+): done in ([\d.]+) s$/.exec(text);
    if (m && phaseSeconds[m[1]] === undefined) phaseSeconds[m[1]] = Number(m[2]);
  }
  // A step's time is the gap since the line before it (the end of initialisation, or the previous step).
  const stepSeconds: number[] = [];
  lines.forEach(({ at, text }, i) => {
    if (/^train: step \d+\/\d+/.test(text) && i > 0) stepSeconds.push(at - lines[i - 1].at);
  });
  const scan = report?.scan as { batches: number; seconds: number } | null | undefined;
  const scanBatches = lines.filter((l) => /^scan: batch /.test(l.text)).length;
  const estimateLine = lines.find((l) => l.text.startsWith('GPU memory:'))?.text ?? null;
  const errorLine = exitCode === 0 ? null : (lines.at(-1)?.text ?? `exit code ${exitCode}`);
  return {
    model,
    weights: weights ?? 'default',
    parameters: stateDict(scaleConfig(model as (typeof SCALE_MODELS)[number])).reduce((a, t) => a + t.shape.reduce((x, d) => x * d, 1), 0),
    command,
    exitCode,
    wallSeconds,
    loadSeconds: phaseSeconds.load ?? null,
    scanSecondsPerBatch: scan ? scan.seconds / scan.batches : phaseSeconds.scan !== undefined && scanBatches > 0 ? phaseSeconds.scan / scanBatches : null,
    stepSeconds,
    phaseSeconds,
    peakHeapBytes: memory?.heapUsed ?? null,
    peakHeapAndExternalBytes: memory?.heapAndExternal ?? null,
    peakRssBytes: memory?.vmHWM ?? memory?.rss ?? null,
    gpuEstimate: report?.memory?.estimate ?? null,
    gpuEstimateLine: estimateLine,
    gpuPeakBytes: report?.memory?.peak_bytes ?? null,
    error: errorLine,
  };
}

const mib = (bytes: number | null | undefined) => (bytes == null ? '–' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const sec = (s: number | null | undefined) => (s == null ? '–' : s.toFixed(1));

function markdown(rows: Row[]): string {
  const head = '| model | weights | parameters | load s | scan s/batch | step s | JS heap peak | heap + buffers peak | RSS peak (VmHWM) | GPU estimate | GPU peak | wall s | result |';
  const body = rows.map((r) => {
    const estimate = r.gpuEstimate?.total ?? null;
    const estimateText = estimate !== null ? mib(estimate) : (/about ([\d.]+ \w+)/.exec(r.gpuEstimateLine ?? '')?.[1] ?? '–');
    return `| ${r.model} | ${r.weights} | ${(r.parameters / 1e6).toFixed(1)} M | ${sec(r.loadSeconds)} | ${sec(r.scanSecondsPerBatch)} | ${r.stepSeconds.map((s) => s.toFixed(1)).join(', ') || '–'} | ${mib(r.peakHeapBytes)} | ${mib(r.peakHeapAndExternalBytes)} | ${mib(r.peakRssBytes)} | ${estimateText} | ${mib(r.gpuPeakBytes)} | ${r.wallSeconds.toFixed(0)} | ${r.exitCode === 0 ? 'ok' : (r.error ?? 'failed').replace(/\|/g, '/')} |`;
  });
  const settings = `Settings of every run: \`${SETTINGS.join(' ')}\`${extra.length ? ` plus \`${extra.join(' ')}\`` : ''}. Step times are the gaps between the CLI's lines (the first step includes pipeline compilation).`;
  return [head, head.replace(/[^|]+/g, '---'), ...body, '', settings, ''].join('\n');
}

mkdirSync(out, { recursive: true });
const rows: Row[] = [];
for (const model of models) {
  for (const weights of formats) {
    rows.push(await runOne(model, weights));
    // Written after every run, so a long sweep that is stopped keeps what it measured.
    writeFileSync(join(out, 'scale-runs.json'), JSON.stringify(rows, null, 2) + '\n');
    writeFileSync(join(out, 'scale-runs.md'), markdown(rows));
  }
}
console.log(markdown(rows));
