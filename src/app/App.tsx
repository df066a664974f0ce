import { useEffect, useState } from 'react';
import { useStore } from './state/store';
import { activeRun, isBusy } from './state/run';
import { EMBEDDED_MODEL } from './sources';
import { folderProblem, type SavedRun } from './saved-runs';
import { GpuPanel } from './components/GpuPanel';
import { SelfTestPanel } from './components/SelfTestPanel';
import { ModelPanel } from './components/ModelPanel';
import { DatasetPanel } from './components/DatasetPanel';
import { SettingsPanel } from './components/SettingsPanel';
import { CheckpointNotice, RunControls, RunError, Stepper } from './components/RunPanel';
import { AllocationView } from './components/AllocationView';
import { TrainingView } from './components/TrainingView';
import { CompareView, ResultsView } from './components/ResultsView';
import { ComparisonView } from './components/ComparisonView';
import { PlaygroundPanel } from './components/PlaygroundPanel';
import { methodLabel } from '../compare/methods';

export function App() {
  const detectGpu = useStore((s) => s.detectGpu);
  const loadModel = useStore((s) => s.loadModel);
  const selectDataset = useStore((s) => s.selectDataset);
  const loadSavedRuns = useStore((s) => s.loadSavedRuns);
  const run = useStore(activeRun);
  const busy = useStore(isBusy);

  useEffect(() => {
    void detectGpu();
    // The built-in model and the chosen sample are ready as soon as the page opens.
    void selectDataset({ kind: 'sample', name: useStore.getState().sampleDataset });
    void loadModel({ kind: 'embedded', name: EMBEDDED_MODEL });
    void loadSavedRuns();
  }, [detectGpu, loadModel, selectDataset, loadSavedRuns]);

  // While a run holds the GPU, leaving the page asks first: the browser's own "Leave site?" prompt.
  // (The run can still be resumed from its last checkpoint, but the steps since it are lost.)
  useEffect(() => {
    if (!busy) return;
    const ask = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [busy]);

  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>GoRA Studio</h1>
          <p className="tagline">Fine-tune small language models on your own GPU, in the browser, with gradient-driven adaptive LoRA.</p>
        </div>
        <GpuBadge />
      </header>
      <GpuBanner />
      <ResumeBanner />
      <main className="layout">
        <aside className="setup">
          <ModelPanel />
          <DatasetPanel />
          <SettingsPanel />
        </aside>
        <section className="run" aria-label="run">
          <section className="panel wide" aria-labelledby="run-title">
            <h2 id="run-title">4 · Run</h2>
            <RunControls />
            {run && <Stepper run={run} />}
            {run && <RunError run={run} />}
            {run && <CheckpointNotice run={run} />}
          </section>
          <AllocationView />
          <TrainingView />
          <ResultsView />
          <PlaygroundPanel />
          <CompareView />
          <ComparisonView />
          {!run && <Intro />}
        </section>
      </main>
      <details className="gpu-details">
        <summary>GPU details and self-test</summary>
        <div className="panels">
          <GpuPanel />
          <SelfTestPanel />
        </div>
      </details>
    </div>
  );
}

function GpuBadge() {
  const status = useStore((s) => s.gpuStatus);
  const info = useStore((s) => s.gpuInfo);
  const name = info ? info.description || [info.vendor, info.architecture].filter(Boolean).join(' ') : '';
  return (
    <span className={`gpu-badge ${status}`} data-testid="gpu-badge">
      {status === 'detecting' ? 'Looking for a GPU…' : status === 'ready' ? `GPU: ${name || 'WebGPU adapter'}` : 'No GPU'}
    </span>
  );
}

function GpuBanner() {
  const status = useStore((s) => s.gpuStatus);
  const error = useStore((s) => s.gpuError);
  const lost = useStore((s) => s.deviceLost);
  const fallback = useStore((s) => s.gpuInfo?.isFallbackAdapter);
  if (lost && status === 'ready')
    return (
      <div className="banner warn" role="status" data-testid="device-recovered">
        The GPU device was lost ({lost.message || lost.reason}) and a new one is ready. A run that was stopped by it can continue from its last checkpoint.
      </div>
    );
  if (lost && status !== 'detecting' && !error) return <div className="banner error" role="alert">The GPU device was lost ({lost.message || lost.reason}). Reload the page to start again.</div>;
  if (status === 'unavailable' && error)
    return (
      <div className="banner error" role="alert" data-testid="gpu-error">
        {error}
      </div>
    );
  if (status === 'ready' && fallback)
    return (
      <div className="banner warn" data-testid="software-adapter">
        This browser is using a software GPU: everything works, but training is slow. For real speed use Chrome or Edge with hardware acceleration on.
      </div>
    );
  return null;
}

function Intro() {
  return (
    <section className="panel wide intro">
      <h2>How it works</h2>
      <ol>
        <li>
          <strong>Scan</strong> — gradients of the frozen model over a few batches show which layers matter for your data.
        </li>
        <li>
          <strong>Allocate</strong> — each layer gets a LoRA rank from its importance, within the same parameter budget as uniform LoRA.
        </li>
        <li>
          <strong>Initialise</strong> — each adapter starts as a compressed gradient step, so training begins with a useful move.
        </li>
        <li>
          <strong>Train, evaluate, download</strong> — the adapter in Hugging Face PEFT's format, loadable in Python unchanged.
        </li>
      </ol>
    </section>
  );
}

function ResumeBanner() {
  const saved = useStore((s) => s.savedRuns);
  const busy = useStore(isBusy);
  const gpuReady = useStore((s) => s.gpuStatus === 'ready');
  const resume = useStore((s) => s.resumeSavedRun);
  const discard = useStore((s) => s.discardSavedRun);
  const problems = useStore((s) => s.savedRunProblems);
  if (saved.length === 0 && problems.length === 0) return null;
  return (
    <div className="banner warn" data-testid="resume-banner">
      {problems.map((p) => (
        <div key={p.runId} className="row wrap" data-testid="unreadable-run">
          <span>{p.runId ? `The saved run ${p.runId} cannot be read (${p.reason}) and is not offered for resuming.` : `Saved runs cannot be listed: ${p.reason}.`}</span>
          {p.runId && <button onClick={() => void discard(p.runId)}>Discard</button>}
        </div>
      ))}
      {saved.map((r) => (
        <SavedRunRow key={r.runId} run={r} disabled={busy || !gpuReady} onResume={(folder) => resume(r.runId, folder)} onDiscard={() => void discard(r.runId)} />
      ))}
    </div>
  );
}

/** One kept run; on a folder model the folder is picked again first (the page cannot reopen it by itself). */
function SavedRunRow({ run, disabled, onResume, onDiscard }: { run: SavedRun; disabled: boolean; onResume: (folder: File[]) => void; onDiscard: () => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const model = run.request.model;
  const pick = (files: File[]) => {
    const reason = folderProblem(run, files);
    setProblem(reason);
    if (!reason) onResume(files);
  };
  return (
    <div className="row wrap">
      <span>
        An unfinished {methodLabel(run.request.config.method)} run stopped at step {run.step} of {run.steps}; its checkpoint is kept in this browser.
        {model.kind === 'folder' && ` It trained the folder ${model.name}: choose that folder again to resume.`}
      </span>
      {model.kind === 'folder' ? (
        <label className="button primary">
          Choose {model.name} and resume
          <input
            type="file"
            className="sr-only"
            disabled={disabled}
            {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
            multiple
            onChange={(e) => pick(Array.from(e.target.files ?? []))}
            data-testid="resume-folder"
          />
        </label>
      ) : (
        <button className="primary" onClick={() => onResume([])} disabled={disabled} data-testid="resume-run">
          Resume
        </button>
      )}
      <button onClick={onDiscard}>Discard</button>
      {problem && (
        <span className="error" role="alert" data-testid="resume-folder-problem">
          {problem}
        </span>
      )}
    </div>
  );
}
