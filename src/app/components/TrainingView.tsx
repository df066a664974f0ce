import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useStore } from '../state/store';
import { activeRun } from '../state/run';
import type { RunState } from '../state/fold';
import { formatLearningRate, formatSeconds, memoryText } from './format';
import { estimateText } from '../../train/run-time';

export function TrainingView() {
  const run = useStore(activeRun);
  if (!run || (run.steps.length === 0 && run.phases.train.status !== 'running')) return null;
  return (
    <section className="panel wide" aria-labelledby="train-title" data-testid="training-view">
      <h2 id="train-title">Training</h2>
      <Stats run={run} />
      <LossChart runs={[run]} />
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

const COLOURS = ['#34d399', '#60a5fa', '#f472b6', '#fbbf24', '#a78bfa', '#f87171'];

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
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={data} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="#2a333d" />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} stroke="#8b98a5" />
          <YAxis stroke="#8b98a5" domain={['auto', 'auto']} width={48} />
          <Tooltip contentStyle={{ background: '#171d24', border: '1px solid #2a333d' }} />
          <Legend />
          {runs.flatMap((run, i) => [
            <Line key={`${run.id}t`} name={`${run.label} train`} dataKey={`${run.id} train`} stroke={COLOURS[i % COLOURS.length]} dot={false} isAnimationActive={false} connectNulls />,
            <Line key={`${run.id}v`} name={`${run.label} validation`} dataKey={`${run.id} val`} stroke={COLOURS[i % COLOURS.length]} strokeDasharray="5 4" isAnimationActive={false} connectNulls />,
          ])}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
