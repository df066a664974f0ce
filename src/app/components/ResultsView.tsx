import { zipSync } from 'fflate';
import { useState } from 'react';
import { mergedModelZip } from '../merged-download';
import { useStore } from '../state/store';
import { activeRun } from '../state/run';
import { finalEvaluation, type RunState } from '../state/fold';
import { formatBytes, formatCount, scoredRowsNote, visibleText } from './format';
import { LossChart } from './TrainingView';
import { saveBytes } from './download';
import { ScrollRegion } from './ScrollRegion';

export function ResultsView() {
  const run = useStore(activeRun);
  if (!run || (run.status !== 'done' && run.generations.length === 0)) return null;
  const final = finalEvaluation(run);
  return (
    <section className="panel wide" aria-labelledby="results-title" data-testid="results-view">
      <h2 id="results-title">Results</h2>
      {run.status === 'done' && <ClearRun runId={run.id} />}
      {final && (
        <p data-testid="final-evaluation" data-accuracy={final.accuracy ?? undefined}>
          Validation loss <strong>{final.loss.toFixed(4)}</strong>
          {final.accuracy !== null && (
            <>
              {' '}
              · accuracy <strong>{(100 * final.accuracy).toFixed(1)} %</strong> <span className="muted">{scoredRowsNote(final.examples, 'validation', run.config)}</span>
            </>
          )}
          {run.init && (
            <span className="muted">
              {' '}
              · GoRA's initial adapter took the scan-batch loss from {run.init.baseLoss.toFixed(3)} to {run.init.initLoss.toFixed(3)} before any training step
            </span>
          )}
        </p>
      )}
      {run.test && (
        <p data-testid="test-evaluation" data-accuracy={run.test.accuracy ?? undefined}>
          Test split loss <strong>{run.test.loss.toFixed(4)}</strong>
          {run.test.accuracy !== null && (
            <>
              {' '}
              · accuracy <strong>{(100 * run.test.accuracy).toFixed(1)} %</strong> <span className="muted">{scoredRowsNote(run.test.examples, 'test', run.config)}</span>
            </>
          )}
          <span className="muted"> · the rows the data file sets aside as its test split: nothing in the run was chosen by them</span>
        </p>
      )}
      {run.generations.length > 0 && (
        <ScrollRegion label="generations before and after training">
          <table className="generations" data-testid="generations">
            <thead>
              <tr>
                <th>Prompt</th>
                <th>Base model</th>
                <th>Adapted model</th>
              </tr>
            </thead>
            <tbody>
              {run.generations.map((g, i) => (
                <tr key={i}>
                  <td className="mono">{g.prompt}</td>
                  <td className="mono">{visibleText(g.base)}</td>
                  <td className="mono">{visibleText(g.adapted)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      {run.files && <Downloads run={run} files={run.files} />}
    </section>
  );
}

function Downloads({ run, files }: { run: RunState; files: Record<string, Uint8Array> }) {
  // Runs kept from before the model card existed have none: the zip leaves it out rather than fail.
  const adapter = () =>
    zipSync(
      Object.fromEntries(['adapter_model.safetensors', 'adapter_config.json', 'gora_report.json', 'README.md'].filter((name) => files[name]).map((name) => [name, files[name]])),
      { level: 0 },
    );
  const base = `${run.config.method}-r${run.config.rank}-${run.id}`;
  return (
    <div className="downloads" data-testid="downloads">
      <button className="primary" onClick={() => saveBytes(adapter(), `${base}-adapter.zip`, 'application/zip')} data-testid="download-adapter">
        Download adapter (PEFT, zip)
      </button>
      <button onClick={() => saveBytes(files['gora_report.json'], `${base}-gora_report.json`, 'application/json')} data-testid="download-report">
        gora_report.json
      </button>
      <button onClick={() => saveBytes(files['data_manifest.json'], `${base}-data_manifest.json`, 'application/json')}>data_manifest.json</button>
      <span className="muted small">adapter {formatBytes(files['adapter_model.safetensors'].byteLength)}</span>
      {run.config.method !== 'full' && <DownloadMerged files={files} />}
    </div>
  );
}

/** The model loaded now with this run's adapter merged into its weights, as a zipped model folder. */
function DownloadMerged({ files }: { files: Record<string, Uint8Array> }) {
  const source = useStore((s) => s.modelSource);
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const { zip, folder } = await mergedModelZip(source, files);
      saveBytes(zip, `${folder}.zip`, 'application/zip');
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: `The merged model could not be made: ${(error as Error).message}` });
    }
  };
  return (
    <>
      <button onClick={() => void download()} disabled={state.busy} data-testid="download-merged" title="the base model with this adapter added into its weights: a complete model folder that loads without PEFT">
        {state.busy ? 'Merging…' : 'Merged model (zip)'}
      </button>
      {state.error && (
        <p className="notice error" role="alert" data-testid="merge-error">
          {state.error}
        </p>
      )}
    </>
  );
}

export function CompareView() {
  const runs = useStore((s) => s.runs);
  const clearRuns = useStore((s) => s.clearRuns);
  const finished = runs.filter((r) => r.status === 'done');
  if (finished.length < 2) return null;
  return (
    <section className="panel wide" aria-labelledby="compare-title" data-testid="compare-view">
      <h2 id="compare-title">Compare runs</h2>
      <LossChart runs={finished} />
      <ScrollRegion label="finished runs">
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>Trainable parameters</th>
              <th>Validation loss</th>
              <th>Accuracy</th>
            </tr>
          </thead>
          <tbody>
            {finished.map((r) => {
              const final = finalEvaluation(r);
              return (
                <tr key={r.id}>
                  <td>{r.label}</td>
                  <td>{r.allocation ? formatCount(r.allocation.trainableParameters) : trainableOf(r)}</td>
                  <td>{final ? final.loss.toFixed(4) : '–'}</td>
                  <td>{final?.accuracy != null ? `${(100 * final.accuracy).toFixed(1)} %` : '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </ScrollRegion>
      <button className="link" onClick={clearRuns}>
        Clear finished runs
      </button>
    </section>
  );
}

function trainableOf(run: RunState): string {
  const report = run.files?.['gora_report.json'];
  if (!report) return '–';
  const parsed = JSON.parse(new TextDecoder().decode(report)) as { budget?: { trainable_parameters?: number } };
  return parsed.budget?.trainable_parameters !== undefined ? formatCount(parsed.budget.trainable_parameters) : '–';
}

/** Finished runs stay (in this browser too) until cleared. */
function ClearRun({ runId }: { runId: string }) {
  const clear = useStore((s) => s.clearRun);
  return (
    <p className="muted small">
      Kept in this browser, with its downloads, until you clear it.{' '}
      <button className="link" onClick={() => clear(runId)} data-testid="clear-run">
        Clear this run
      </button>
    </p>
  );
}
