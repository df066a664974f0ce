// The benchmark's result as a plain-text table (the terminal and the page show the same text).

import type { BenchResult, StepResult } from './run';

const fixed = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? '—' : x.toFixed(digits));
const times = (x: number | null) => (x === null ? '—' : `${x.toFixed(2)}×`);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

function stepRow(name: string, s: StepResult, ratio: number | null): string[] {
  const theirs = s.tfjs_tokens_per_s === null ? `— (${s.tfjs_error ?? 'not run'})` : fixed(s.tfjs_tokens_per_s, 1);
  return [name, fixed(s.ours_tokens_per_s, 1), theirs, times(ratio), `${s.ours_reps} / ${s.tfjs_reps}`];
}

export function formatReport(r: BenchResult): string {
  const a = r.adapter;
  const out: string[] = [];
  out.push(`size ${r.size} (${r.model.weights} weights; d=${r.model.hidden}, ${r.model.layers} layers, ${r.model.heads}/${r.model.kv_heads} heads, vocab ${r.model.vocab}), batch ${r.batch} × seq ${r.seq_len}, LoRA rank ${r.lora.rank} on ${r.lora.targets} linears`);
  out.push(`adapter: ${a.name || '(unnamed)'} — vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}${a.isFallbackAdapter ? ', fallback (software) adapter' : ''}; ${r.runtime}, ${r.kernel_variant} row kernels; TensorFlow.js ${r.tfjs.version}${r.tfjs.error ? ` (not run: ${r.tfjs.error})` : ''}`);
  out.push('');
  out.push(table(
    ['step', 'ours tokens/s', 'TF.js tokens/s', 'ours ÷ TF.js', 'reps (ours / TF.js)'],
    [stepRow('LoRA train step (fwd + bwd + AdamW)', r.train_step, r.ratios.train_step), stepRow('GoRA scan step (frozen-weight grads)', r.scan_step, r.ratios.scan_step)],
  ));
  out.push('');
  out.push(table(
    ['matmul', 'M×K·K×N', 'ours GFLOP/s', 'TF.js GFLOP/s', 'ours ÷ TF.js', 'reps'],
    r.matmul.map((m) => [m.name, `${m.M}×${m.K}·${m.K}×${m.N}`, fixed(m.ours_gflops, 2), m.tfjs_gflops === null ? `— (${m.tfjs_error ?? 'not run'})` : fixed(m.tfjs_gflops, 2), times(r.ratios.matmul[m.name]), `${m.ours_reps} / ${m.tfjs_reps}`]),
  ));
  out.push('');
  out.push(`scan overhead (default GoRA run: ${r.scan_overhead.scan_batches} scan batches vs ${r.scan_overhead.steps} steps): ours ${fixed(r.scan_overhead.ours * 100, 1)} %, TF.js ${r.scan_overhead.tfjs === null ? '—' : `${(r.scan_overhead.tfjs * 100).toFixed(1)} %`}`);
  const st = r.storage_16bit;
  out.push(`16-bit frozen weights: our LoRA step ${st.bf16_seconds === null ? `not run on bf16 (${st.error ?? 'no time left'})` : `takes ${fixed(st.bf16_seconds, 3)} s on bf16 storage against ${fixed(st.f32_seconds, 3)} s on f32 (× ${st.time_ratio!.toFixed(2)} the time)`}, the linear weights ${mib(st.bf16_bytes)} against ${mib(st.f32_bytes)}`);
  const d = r.decode;
  const rerun = d.rerun_tokens_per_s === null ? `— (${d.error ?? 'not run'})` : `${fixed(d.rerun_tokens_per_s, 2)} tokens/s by re-running the sequence for each token`;
  out.push(`decoding ${d.new_tokens} tokens after a ${d.prompt_tokens}-token prompt: ${fixed(d.cached_tokens_per_s, 2)} tokens/s with the key/value cache, ${rerun} (${times(d.speedup)}; ${d.same_tokens === null ? 'tokens not compared' : d.same_tokens ? 'same tokens' : 'DIFFERENT tokens'}; ${d.reps} reps)`);
  out.push(`peak GPU memory (ours): GoRA ${mib(r.memory.gora.peak_bytes)} (estimate ${mib(r.memory.gora.estimate_bytes)}), LoRA ${mib(r.memory.lora.peak_bytes)} (estimate ${mib(r.memory.lora.estimate_bytes)})`);
  const losses = (l: number[]) => (l.length ? l.map((x) => x.toFixed(4)).join(', ') : '—');
  out.push(`losses of the first training steps: ours ${losses(r.train_step.ours_losses)}, TF.js ${losses(r.train_step.tfjs_losses)}`);
  out.push(`medians of up to ${r.repetitions.matmul_max} (matmul) and ${r.repetitions.step_max} (steps) timed runs after one warm-up, interleaved; ${r.seconds.toFixed(0)} s in all`);
  return out.join('\n');
}
