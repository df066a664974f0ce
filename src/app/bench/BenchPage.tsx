// The /bench page (also `?bench`): the benchmark of bench/core/ in the browser, on the page's own
// WebGPU device, with the same table `npm run bench` prints and the result as JSON to copy.
// `?bench&size=tiny&reps=1&step-reps=1&budget=60&run` sets the form and starts a run as the page opens.

import { useEffect, useRef, useState } from 'react';
import { Gpu } from '../../gpu/gpu';
import { describeError } from '../../../bench/core/timing';
import { loadEmbeddedModel, randomModel } from '../../../bench/core/model';
import { DEFAULT_OPTIONS, runBench, type BenchOptions, type BenchResult } from '../../../bench/core/run';
import { startTfjs } from '../../../bench/core/start-tfjs';
import { formatReport } from '../../../bench/core/report';
import { isBenchSize, SIZES, sizeSetup, type BenchSize } from '../../../bench/core/sizes';
import { EMBEDDED_MODEL, openModelFiles } from '../sources';

type Status = { state: 'idle' } | { state: 'running'; log: string[] } | { state: 'done'; result: BenchResult; log: string[] } | { state: 'failed'; error: string; log: string[] };

async function runInPage(size: BenchSize, options: BenchOptions, log: (line: string) => void): Promise<BenchResult> {
  const gpu = await Gpu.acquire({ gpu: navigator.gpu, where: 'browser' });
  try {
    log(`adapter: ${gpu.info.description || gpu.info.device || gpu.info.architecture} (${gpu.info.vendor})`);
    const setup = sizeSetup(size);
    const model = setup.weights === 'embedded' ? await loadEmbeddedModel(setup, await openModelFiles({ kind: 'embedded', name: EMBEDDED_MODEL })) : randomModel(setup);
    const tfjs = await startTfjs(gpu);
    return await runBench({ gpu, model, runtime: 'browser', tfjs, options, log });
  } finally {
    gpu.destroy();
  }
}

/** The defaults, with any valid `reps`, `step-reps` and `budget` from the address. */
function optionsFrom(params: URLSearchParams): BenchOptions {
  const whole = (key: string, fallback: number) => {
    const n = Number(params.get(key));
    return params.has(key) && Number.isSafeInteger(n) && n >= 1 ? n : fallback;
  };
  return { ...DEFAULT_OPTIONS, matmulReps: whole('reps', DEFAULT_OPTIONS.matmulReps), stepReps: whole('step-reps', DEFAULT_OPTIONS.stepReps), budgetSeconds: whole('budget', DEFAULT_OPTIONS.budgetSeconds) };
}

export function BenchPage() {
  const params = new URLSearchParams(location.search);
  const initialSize = params.get('size') ?? 'tiny';
  const [size, setSize] = useState<BenchSize>(isBenchSize(initialSize) ? initialSize : 'tiny');
  const [options, setOptions] = useState<BenchOptions>(() => optionsFrom(params));
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const [copied, setCopied] = useState(false);
  const started = useRef(false);

  const start = async () => {
    if (status.state === 'running') return;
    const log: string[] = [];
    const append = (line: string) => {
      log.push(line);
      setStatus({ state: 'running', log: [...log] });
    };
    setCopied(false);
    append(`size ${size}`);
    try {
      const result = await runInPage(size, options, append);
      setStatus({ state: 'done', result, log });
    } catch (error) {
      setStatus({ state: 'failed', error: describeError(error), log });
    }
  };

  useEffect(() => {
    // StrictMode runs effects twice in development: start once.
    if (params.has('run') && !started.current) {
      started.current = true;
      void start();
    }
  });

  const copy = async () => {
    if (status.state !== 'done') return;
    await navigator.clipboard.writeText(JSON.stringify(status.result));
    setCopied(true);
  };

  const number = (key: 'matmulReps' | 'stepReps' | 'budgetSeconds', label: string) => (
    <label>
      {label}
      <input type="number" min={1} value={options[key]} onChange={(e) => setOptions({ ...options, [key]: Math.max(1, Math.round(Number(e.target.value)) || 1) })} />
    </label>
  );

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>GoRA Studio — benchmark</h1>
          <p className="tagline">Our WebGPU kernels and training step against TensorFlow.js's WebGPU backend, on this page's GPU device.</p>
        </div>
      </header>
      <section className="panel">
        <div className="run-controls">
          <label>
            size{' '}
            <select value={size} onChange={(e) => setSize(e.target.value as BenchSize)} disabled={status.state === 'running'}>
              {SIZES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          {number('matmulReps', 'matmul runs ')}
          {number('stepReps', 'step runs ')}
          {number('budgetSeconds', 'budget (s) ')}
          <button type="button" onClick={() => void start()} disabled={status.state === 'running'}>
            {status.state === 'running' ? 'Running…' : 'Run benchmark'}
          </button>
          <button type="button" onClick={() => void copy()} disabled={status.state !== 'done'}>
            {copied ? 'Copied' : 'Copy JSON'}
          </button>
        </div>
        {status.state !== 'idle' && (
          <details open={status.state === 'running'}>
            <summary>progress</summary>
            <pre className="mono small" data-testid="bench-log">
              {status.log.join('\n')}
            </pre>
          </details>
        )}
        {status.state === 'failed' && <p className="notice" role="alert">The benchmark failed: {status.error}</p>}
        {status.state === 'done' && (
          <>
            <pre className="mono" data-testid="bench-table">{formatReport(status.result)}</pre>
            <details>
              <summary>JSON</summary>
              <pre className="mono small" data-testid="bench-json">{JSON.stringify(status.result, null, 2)}</pre>
            </details>
          </>
        )}
      </section>
    </div>
  );
}
