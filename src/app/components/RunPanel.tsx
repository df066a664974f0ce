import { useStore } from '../state/store';
import { activeRun, isBusy } from '../state/run';
import { PHASES, type RunState } from '../state/fold';
import { formatBytes, formatSeconds } from './format';
import { formatRate } from '../../train/rate';
import { methodLabel } from '../../compare/methods';
import { configProblems } from '../../train/config';
import { deviceBudget, planRun } from '../../train/memory-plan';
import { expectedRunSeconds, storedSpeeds } from '../run-speed';
import { describeModel } from '../sources';
import { modelSettingProblem } from '../state/model';

const PHASE_TITLES: Record<string, string> = {
  load: 'Load',
  scan: 'Scan',
  allocate: 'Allocate',
  initialise: 'Initialise',
  train: 'Train',
  evaluate: 'Evaluate',
  export: 'Export',
};

export function RunControls() {
  const method = useStore((s) => s.config.method);
  const ready = useStore((s) => s.modelStatus === 'ready' && (s.dataStatus === 'ready' || s.dataStatus === 'loading') && s.gpuStatus === 'ready');
  // The settings panel marks each bad value at its field; Run stays off until none is left.
  const config = useStore((s) => s.config);
  const modelProblem = useStore((s) => modelSettingProblem(s.modelInfo, s.config));
  const problems = [...configProblems(config).map((p) => p.message), ...(modelProblem ? [modelProblem] : [])];
  const busy = useStore(isBusy);
  // While a comparison holds the worker, its own panel pauses and stops it.
  const comparing = useStore((s) => s.comparison?.status === 'running' || s.comparison?.status === 'stopping');
  const run = useStore(activeRun);
  const startRun = useStore((s) => s.startRun);
  const pauseRun = useStore((s) => s.pauseRun);
  const resumeRun = useStore((s) => s.resumeRun);
  const stopRun = useStore((s) => s.stopRun);
  // Run is disabled once the run starts, which would drop keyboard focus to the page: it moves to the
  // run's status line instead, once that is on the page.
  const start = () => {
    startRun();
    requestAnimationFrame(() => document.getElementById('run-status')?.focus());
  };
  return (
    <div className="run-controls">
      <button className="primary big" onClick={start} disabled={!ready || busy || problems.length > 0} data-testid="start-run">
        Run {methodLabel(method)}
      </button>
      {!busy && <RunSummary />}
      {problems.length > 0 && !busy && (
        <p className="notice error" data-testid="run-blocked">
          Run needs valid settings: {[...new Set(problems)].join('; ')}
        </p>
      )}
      {busy && !comparing && run?.status !== 'paused' && (
        <button onClick={pauseRun} disabled={run?.status === 'awaiting-allocation' || run?.stopping} data-testid="pause-run">
          Pause
        </button>
      )}
      {run?.status === 'paused' && (
        <button onClick={resumeRun} disabled={run.stopping} data-testid="resume-run">
          Resume
        </button>
      )}
      {busy && !comparing && (
        <button className="danger" onClick={stopRun} disabled={run?.stopping} data-testid="stop-run">
          {run?.stopping ? 'Stopping…' : 'Stop'}
        </button>
      )}
      {run && <RunStatusLine run={run} />}
    </div>
  );
}

function RunStatusLine({ run }: { run: RunState }) {
  const text: Record<RunState['status'], string> = {
    running: 'running…',
    'awaiting-allocation': 'waiting for you to confirm the ranks',
    paused: 'paused',
    done: 'finished',
    stopped: 'stopped',
    error: 'failed',
  };
  const phase = PHASES.find((p) => run.phases[p].status === 'running');
  return (
    <>
      {/* Polite live regions: a screen reader hears the run start, change phase, stop and finish.
          Focus moves to the status from Run (tabIndex −1: focusable, but no extra tab stop). */}
      <span className={`run-status ${run.status}`} role="status" aria-live="polite" tabIndex={-1} id="run-status" data-testid="run-status" data-status={run.status}>
        {run.label}: {run.stopping && (run.status === 'running' || run.status === 'paused' || run.status === 'awaiting-allocation') ? 'stopping at the next step…' : text[run.status]}
      </span>
      <span className="sr-only" role="status" aria-live="polite" data-testid="phase-announcement">
        {phase && run.status === 'running' ? `${PHASE_TITLES[phase]} phase` : ''}
      </span>
    </>
  );
}

export function Stepper({ run }: { run: RunState }) {
  return (
    <ol className="stepper" aria-label="phases">
      {PHASES.map((phase) => {
        const p = run.phases[phase];
        const share = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
        return (
          <li key={phase} className={`step ${p.status}`} data-testid={`phase-${phase}`} data-status={p.status}>
            <span className="step-title">{PHASE_TITLES[phase]}</span>
            <span className="step-detail">
              {p.status === 'skipped' ? 'not used' : p.status === 'done' ? (p.seconds !== null ? formatSeconds(p.seconds) : 'done') : p.status === 'running' ? (p.total ? `${Math.round(100 * share)} %` : '…') : ''}
            </span>
            {p.status === 'running' && p.total > 0 && <progress value={share} max={1} />}
            {phase === 'evaluate' && p.status === 'running' && p.total > 0 && (
              <span className="step-detail" data-testid="evaluate-progress">
                {p.detail} · {p.done} of {p.total} passes
                {p.rate ? ` · ${formatSeconds((p.total - p.done) / p.rate)} left` : ''}
              </span>
            )}
            {phase === 'load' && p.status === 'running' && p.total > 0 && (
              <span className="step-detail" data-testid="load-rate">
                {formatBytes(p.done)} of {formatBytes(p.total)}
                {p.rate !== null && ` · ${formatRate(p.rate)}`}
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function RunError({ run }: { run: RunState }) {
  if (!run.error) return null;
  return (
    <p className="notice error" role="alert" data-testid="run-error">
      {run.error}
    </p>
  );
}

/** Shown while the run could not save its latest checkpoint: it trains on, but a reload would lose steps (or all of it). */
export function CheckpointNotice({ run }: { run: RunState }) {
  if (!run.checkpointProblem) return null;
  return (
    <p className="notice warn" role="status" data-testid="checkpoint-notice">
      {run.checkpointProblem}
    </p>
  );
}

/** What Run will do, next to it: the method and budget, the GPU memory and the time it should take. */
function RunSummary() {
  const config = useStore((s) => s.config);
  const info = useStore((s) => s.modelInfo);
  const limits = useStore((s) => s.gpuInfo?.limits);
  const model = useStore((s) => describeModel(s.modelSource));
  if (!info) return null;
  let memory = '';
  try {
    if (info.spec) memory = ` · GPU memory about ${formatBytes(planRun(info.spec, config, deviceBudget(limits ?? {}), info.dtype).estimate.peak)}`;
  } catch {
    // The settings panel says why the run does not fit.
  }
  const seconds = expectedRunSeconds(storedSpeeds(), model, config);
  const time = seconds === null ? 'time: measured after the first step' : `about ${formatSeconds(seconds)} (at the speed of the last run of ${model} here)`;
  return (
    <p className="muted small run-summary" data-testid="run-summary">
      {methodLabel(config.method)} · {config.steps} steps of {config.batchSize} rows × {config.seqLen} tokens · rank {config.rank} · lr {config.lr.toExponential(1)}
      {memory} · {time}
    </p>
  );
}
