import { useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../state/store';
import { comparisonProblem, type Comparison } from '../state/comparison';
import { comparisonPlan } from '../../compare/plan';
import { curvesOfRun } from '../state/comparison-record';
import { PHASES, type RunState } from '../state/fold';
import { METHOD_NAMES, methodDescription, methodLabel } from '../../compare/methods';
import { meanCurves, trainKey, validationKey } from '../../compare/curves';
import { summarize } from '../../compare/summary';
import { comparisonCsv, tableRows } from '../../compare/table';
import { comparisonReport } from '../../compare/report';
import type { Method } from '../../train/config';
import { describeModel, type DataSource } from '../sources';
import { Heatmap } from './Heatmap';
import { ScrollRegion } from './ScrollRegion';
import { chartsPng, type LegendItem } from './chart-png';
import { saveBlob } from './download';
import { CHART, CHART_MARGIN, LEGEND_STYLE, LOSS_AXIS, STEP_AXIS, TOOLTIP, chartValue, seriesColours, trainStyle, validationStyle, xAxisTitle, Y_AXIS_WIDTH, yAxisTitle } from './chart-style';

/** One pair of colours per method, the same in every comparison. */
const coloursOf = (method: Method) => seriesColours(METHOD_NAMES.indexOf(method), METHOD_NAMES.length);

export function ComparisonView() {
  const comparison = useStore((s) => s.comparison);
  return (
    <section className="panel wide" aria-labelledby="comparison-title" data-testid="comparison-view" data-status={comparison?.status ?? 'idle'}>
      <h2 id="comparison-title">Compare methods</h2>
      <p className="muted small">
        Every chosen method × seed, one after another, on the same model, data, seeds and budget (the rank is r_ref for GoRA and the uniform rank of the others), with the
        settings above, each method at the learning rate named beside it.
      </p>
      <ComparisonControls />
      {comparison && <ComparisonProgress comparison={comparison} />}
      {comparison && comparison.runs.some((r) => r.steps.length > 0) && <ComparisonResults comparison={comparison} />}
    </section>
  );
}

function ComparisonControls() {
  const methods = useStore((s) => s.compareMethods);
  const seeds = useStore((s) => s.compareSeeds);
  const sameLr = useStore((s) => s.compareSameLr);
  const config = useStore((s) => s.config);
  const lr = config.lr;
  const toggle = useStore((s) => s.toggleCompareMethod);
  const setSeeds = useStore((s) => s.setCompareSeeds);
  const setSameLr = useStore((s) => s.setCompareSameLr);
  const start = useStore((s) => s.startComparison);
  const stop = useStore((s) => s.stopComparison);
  const status = useStore((s) => s.comparison?.status);
  const problem = useStore(comparisonProblem);
  const gpuReady = useStore((s) => s.gpuStatus === 'ready');
  const running = status === 'running' || status === 'stopping';
  return (
    <div>
      <fieldset className="method-checks" aria-label="methods to compare" disabled={running}>
        {METHOD_NAMES.map((m) => (
          <label key={m} className="check" title={methodDescription(m)}>
            <input type="checkbox" checked={methods.includes(m)} onChange={() => toggle(m)} data-testid={`compare-method-${m}`} /> {methodLabel(m)}
            <span className="muted small" data-testid={`compare-rate-${m}`}>
              {/* The rate the run will have: the plan decides it, so what is shown is what runs. */}
              lr {comparisonPlan(config, [m], [config.seed], sameLr ? lr : null)[0].config.lr.toExponential(1)}
            </span>
          </label>
        ))}
      </fieldset>
      <div className="compare-options">
        <label>
          Seeds
          <input type="number" min={1} step={1} value={seeds} disabled={running} onChange={(e) => e.target.value !== '' && setSeeds(Number(e.target.value))} data-testid="compare-seeds" />
        </label>
        <label className="check">
          <input type="checkbox" checked={sameLr} disabled={running} onChange={(e) => setSameLr(e.target.checked)} data-testid="compare-same-lr" /> Every method at lr {lr.toExponential(1)} (otherwise each method’s own)
        </label>
        {running ? (
          <button className="danger" onClick={stop} disabled={status === 'stopping'} data-testid="stop-comparison">
            {status === 'stopping' ? 'Stopping…' : 'Stop comparison'}
          </button>
        ) : (
          <button className="primary" onClick={start} disabled={!gpuReady || problem !== null} title={problem ?? undefined} data-testid="start-comparison">
            Run comparison ({methods.length * (Number.isSafeInteger(seeds) && seeds > 0 ? seeds : 0)} runs)
          </button>
        )}
      </div>
    </div>
  );
}

function ComparisonProgress({ comparison }: { comparison: Comparison }) {
  const { plan, runs, status } = comparison;
  const current = runs.at(-1);
  const done = runs.filter((r) => r.status === 'done').length;
  const text: Record<Comparison['status'], string> = {
    running: `run ${runs.length} of ${plan.length}`,
    stopping: `stopping run ${runs.length} of ${plan.length}…`,
    done: `finished: ${done} of ${plan.length} runs`,
    stopped: `stopped: ${done} of ${plan.length} runs finished`,
    error: 'failed',
  };
  return (
    <div className="progress-block" data-testid="comparison-progress">
      <span className={`run-status ${status === 'stopping' ? 'running' : status}`} data-testid="comparison-status" data-status={status}>
        Comparison {text[status]}
        {current && (status === 'running' || status === 'stopping') && ` · ${methodLabel(current.config.method)}, seed ${current.config.seed} · ${phaseText(current)}`}
      </span>
      <progress value={done} max={plan.length} />
      {comparison.error && (
        <p className="notice error" role="alert" data-testid="comparison-error">
          {comparison.error}
        </p>
      )}
    </div>
  );
}

/** The current phase of a run, and its step while it trains. */
function phaseText(run: RunState): string {
  const phase = PHASES.find((p) => run.phases[p].status === 'running');
  if (!phase) return 'starting';
  const p = run.phases[phase];
  return phase === 'train' ? `train step ${p.done}/${run.config.steps}` : phase;
}

function ComparisonResults({ comparison }: { comparison: Comparison }) {
  const { records } = comparison;
  const summaries = summarize(records, comparison.methods);
  const { header, rows } = tableRows(summaries);
  const modelSource = useStore((s) => s.modelSource);
  const dataName = useStore((s) => describeData(s.dataSource));
  const charts = useRef<HTMLDivElement>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const methods = comparison.methods.filter((m) => comparison.runs.some((r) => r.config.method === m && r.steps.length > 0));
  const legend: LegendItem[] = methods.flatMap((m) => [
    { label: `${methodLabel(m)} train`, colour: coloursOf(m).train, dashed: false },
    { label: `${methodLabel(m)} validation`, colour: coloursOf(m).validation, dashed: true, dot: true },
  ]);
  const report = () => comparisonReport({ settings: comparison.plan[0].config, methods: comparison.methods, seeds: comparison.seeds, model: describeModel(modelSource), data: dataName, runs: records });
  const png = async () => {
    setExportError(null);
    try {
      if (charts.current) saveBlob(await chartsPng(charts.current, `Loss: ${methods.map(methodLabel).join(' vs ')} (mean over seeds)`, legend), 'comparison-loss.png');
    } catch (error) {
      setExportError(error instanceof Error ? error.message : String(error));
    }
  };
  return (
    <>
      <div className="comparison-charts" ref={charts}>
        <MethodLossChart comparison={comparison} methods={methods} />
      </div>
      {summaries.length > 0 && (
        <ScrollRegion label="results per method">
          <table className="comparison-table" data-testid="comparison-table">
            <thead>
              <tr>
                {header.map((h) => (
                  <th key={h}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={summaries[i].method} data-testid={`comparison-row-${summaries[i].method}`}>
                  {row.map((cell, j) => (
                    <td key={header[j]}>{keepTogether(cell)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      {summaries.length > 0 && (
        <div className="downloads">
          <button onClick={() => saveBlob(new Blob([comparisonCsv(summaries)], { type: 'text/csv' }), 'compare.csv')} data-testid="download-comparison-csv">
            compare.csv
          </button>
          <button onClick={() => saveBlob(new Blob([JSON.stringify(report(), null, 2)], { type: 'application/json' }), 'compare.json')} data-testid="download-comparison-json">
            compare.json
          </button>
          <button onClick={() => void png()} data-testid="download-comparison-png">
            Charts (PNG)
          </button>
          {exportError && <span className="notice error">{exportError}</span>}
        </div>
      )}
      <Allocations comparison={comparison} />
    </>
  );
}

/** Train (solid) and validation (dashed, lighter, dotted at each evaluation) loss, the mean over each method's seeds. */
function MethodLossChart({ comparison, methods }: { comparison: Comparison; methods: Method[] }) {
  const data = meanCurves(comparison.runs.map(curvesOfRun));
  return (
    <div className="chart" data-testid="comparison-chart">
      <h3>Loss (mean over seeds)</h3>
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={data} margin={CHART_MARGIN}>
          <rect width="100%" height="100%" fill={CHART.background} />
          <CartesianGrid stroke={CHART.grid} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} stroke={CHART.axis} label={xAxisTitle(STEP_AXIS)} height={44} />
          <YAxis stroke={CHART.axis} domain={['auto', 'auto']} width={Y_AXIS_WIDTH} tickFormatter={chartValue} label={yAxisTitle(LOSS_AXIS)} />
          <Tooltip {...TOOLTIP} />
          <Legend wrapperStyle={LEGEND_STYLE} />
          {methods.flatMap((m) => [
            <Line key={`${m}t`} className="series-train" name={`${methodLabel(m)} train`} dataKey={trainKey(m)} {...trainStyle(coloursOf(m).train)} />,
            <Line key={`${m}v`} className="series-validation" name={`${methodLabel(m)} validation`} dataKey={validationKey(m)} {...validationStyle(coloursOf(m).validation, data.filter((row) => validationKey(m) in row).length)} />,
          ])}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Each method's rank allocation where it has one: its first seed's. */
function Allocations({ comparison }: { comparison: Comparison }) {
  const shown = comparison.methods.flatMap((m) => {
    const run = comparison.runs.find((r) => r.config.method === m && r.allocation);
    return run?.allocation ? [{ method: m, seed: run.config.seed, allocation: run.allocation }] : [];
  });
  if (shown.length === 0) return null;
  return (
    <div className="comparison-heatmaps heatmaps" data-testid="comparison-allocations">
      {shown.map((s) => (
        <div key={s.method}>
          <h3>
            {methodLabel(s.method)} ranks (seed {s.seed})
          </h3>
          <Heatmap allocation={s.allocation} value="rank" title={`trains ${s.allocation.trainableParameters.toLocaleString('en-US')} parameters; uniform r_ref ${s.allocation.targetParameters.toLocaleString('en-US')}`} />
        </div>
      ))}
    </div>
  );
}

/** "4–32 (mean 15.5)" wraps before the parenthesis, never inside it. */
function keepTogether(cell: string): string {
  return cell.replace(/\(mean /g, '(mean\u00a0');
}

function describeData(source: DataSource): string {
  return source.kind === 'sample' ? `${source.name} (sample)` : source.kind === 'file' ? source.file.name : source.fileName;
}
