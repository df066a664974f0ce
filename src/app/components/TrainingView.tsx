import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../state/store';
import { activeRun } from '../state/run';
import type { RunState } from '../state/fold';
import { formatLearningRate, formatSeconds, memoryText } from './format';
import { estimateText } from '../../train/run-time';
import { CHART, CHART_MARGIN, LEGEND_STYLE, LOSS_AXIS, LR_AXIS, STEP_AXIS, TOOLTIP, chartValue, seriesColours, trainStyle, validationStyle, xAxisTitle, Y_AXIS_WIDTH, yAxisTitle } from './chart-style';

export function TrainingView() {
  const run = useStore(activeRun);
  if (!run || (run.steps.length === 0 && run.phases.train.status !== 'running')) return null;
  return (
    <section className="panel wide" aria-labelledby="train-title" data-testid="training-view">
      <h2 id="train-title">Training</h2>
      <Stats run={run} />
      <LossChart runs={[run]} />
      {run.steps.length > 0 && <LearningRateChart run={run} />}
    </section>
  );
}

function Stats({ run }: { run: RunState }) {
  const last = run.steps.at(-1);
  const lastEval = run.evaluations.at(-1);
  return (
    <dl className="stats">
      <div>
        <dt>Step</dt>
        <dd data-testid="train-step">
          {last?.step ?? 0} / {run.config.steps}
        </dd>
      </div>
      <div>
        <dt>Loss</dt>
        <dd>{last ? last.loss.toFixed(4) : '–'}</dd>
      </div>
      <div>
        <dt>Validation</dt>
        <dd>{lastEval ? `${lastEval.loss.toFixed(4)}${lastEval.accuracy !== null ? ` · ${(100 * lastEval.accuracy).toFixed(1)} %` : ''}` : '–'}</dd>
      </div>
      <div>
        <dt>Learning rate</dt>
        <dd>{last ? formatLearningRate(last.lr, run.config.lr) : '–'}</dd>
      </div>
      <div>
        <dt>Tokens/s</dt>
        <dd>{run.speed ? run.speed.tokensPerSecond.toFixed(0) : '–'}</dd>
      </div>
      <div>
        <dt>Training: elapsed · left</dt>
        <dd>{run.speed ? `${formatSeconds(run.speed.elapsed)} · ${formatSeconds(run.speed.remaining)}` : '–'}</dd>
      </div>
      <div>
        <dt>Whole run</dt>
        <dd data-testid="run-time">{wholeRunText(run)}</dd>
      </div>
      <div>
        <dt>GPU memory</dt>
        <dd data-testid="gpu-memory">{memoryText(run.memory)}</dd>
      </div>
    </dl>
  );
}

/** The measured time once the run has ended, before that the estimate from its first steps. */
function wholeRunText(run: RunState): string {
  if (run.runTime) {
    const { seconds, evaluation } = run.runTime;
    return `${formatSeconds(seconds)}, of it evaluation ${formatSeconds(evaluation)} (${Math.round((100 * evaluation) / seconds)} %)`;
  }
  return run.estimate ? `${estimateText(run.estimate)}, estimated at step ${run.estimate.step}` : 'estimated after the first step';
}

/** Train loss per step and validation loss per evaluation, for one or several runs overlaid. */
export function LossChart({ runs }: { runs: RunState[] }) {
  const rows = new Map<number, Record<string, number>>();
  runs.forEach((run) => {
    for (const s of run.steps) rows.set(s.step, { ...(rows.get(s.step) ?? { step: s.step }), [`${run.id} train`]: s.loss });
    for (const e of run.evaluations) rows.set(e.step, { ...(rows.get(e.step) ?? { step: e.step }), [`${run.id} val`]: e.loss });
  });
  const data = [...rows.values()].sort((a, b) => a.step - b.step);
  return (
    <div className="chart" data-testid="loss-chart">
      <ResponsiveContainer width="100%" height={280}>
        <LineChart data={data} margin={CHART_MARGIN}>
          <CartesianGrid stroke={CHART.grid} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} stroke={CHART.axis} label={xAxisTitle(STEP_AXIS)} height={44} />
          <YAxis stroke={CHART.axis} domain={['auto', 'auto']} width={Y_AXIS_WIDTH} tickFormatter={chartValue} label={yAxisTitle(LOSS_AXIS)} />
          <Tooltip {...TOOLTIP} />
          <Legend wrapperStyle={LEGEND_STYLE} />
          {runs.flatMap((run, i) => {
            const colours = seriesColours(i, runs.length);
            return [
              <Line key={`${run.id}t`} className="series-train" name={`${run.label} train`} dataKey={`${run.id} train`} {...trainStyle(colours.train)} />,
              <Line key={`${run.id}v`} className="series-validation" name={`${run.label} validation`} dataKey={`${run.id} val`} {...validationStyle(colours.validation, run.evaluations.length)} />,
            ];
          })}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

/** The learning rate of each step: the warm-up and the cosine decay the loss is read against. */
function LearningRateChart({ run }: { run: RunState }) {
  const colour = seriesColours(0, 1).train;
  return (
    <div className="chart" data-testid="lr-chart">
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={run.steps} margin={CHART_MARGIN}>
          <CartesianGrid stroke={CHART.grid} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} stroke={CHART.axis} label={xAxisTitle(STEP_AXIS)} height={44} />
          <YAxis stroke={CHART.axis} domain={[0, 'auto']} width={Y_AXIS_WIDTH} tickFormatter={chartValue} label={yAxisTitle(LR_AXIS)} />
          <Tooltip {...TOOLTIP} />
          <Line className="series-lr" name="learning rate" dataKey="lr" {...trainStyle(colour)} dot={run.steps.length === 1 ? { r: 4, fill: colour } : false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
