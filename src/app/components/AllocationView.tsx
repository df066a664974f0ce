import { useStore } from '../state/store';
import { activeRun, shownAllocation } from '../state/run';
import { allocationProblem, type AllocationSettings } from '../../gora/allocate';
import { formatCount } from './format';
import { Heatmap } from './Heatmap';

export function AllocationView() {
  const run = useStore(activeRun);
  const review = useStore((s) => s.reviewSettings);
  const allocation = shownAllocation(run, review);
  if (!run || !allocation) return null;
  const reviewing = run.status === 'awaiting-allocation';
  return (
    <section className="panel wide" aria-labelledby="alloc-title" data-testid="allocation-view">
      <h2 id="alloc-title">Rank allocation</h2>
      <p className="muted">
        Budget: uniform LoRA at r_ref = {allocation.settings.rankRef} would train <strong>{formatCount(allocation.targetParameters)}</strong> parameters; this
        allocation trains <strong data-testid="trainable-parameters">{formatCount(allocation.trainableParameters)}</strong>.
      </p>
      <div className="heatmaps">
        <Heatmap allocation={allocation} value="rank" title="Rank per layer and module" />
        <Heatmap allocation={allocation} value="importance" title="Importance mean|W ⊙ G|" />
      </div>
      {reviewing && review && <ReviewControls settings={review} />}
    </section>
  );
}

function ReviewControls({ settings }: { settings: AllocationSettings }) {
  const setReview = useStore((s) => s.setReviewSettings);
  const continueRun = useStore((s) => s.continueRun);
  const setConfig = useStore((s) => s.setConfig);
  const change = (patch: Partial<AllocationSettings>) => setReview({ ...settings, ...patch });
  // Bad values are said here and keep the button off: the scan is kept until the ranks can run.
  const problem = allocationProblem(settings);
  const number = (key: 'rankRef' | 'rankMin' | 'rankMax', label: string) => (
    <label>
      {label}
      <input type="number" min={0} value={settings[key]} onChange={(e) => e.target.value !== '' && change({ [key]: Number(e.target.value) })} data-testid={`review-${key}`} />
    </label>
  );
  return (
    <div className="review" data-testid="allocation-review">
      <p>Adjust the ranks before training; they are re-allocated from the stored importance, with no new scan.</p>
      <div className="grid-fields">
        {number('rankRef', 'r_ref')}
        {number('rankMin', 'r_min')}
        {number('rankMax', 'r_max')}
        <label>
          Feature function
          <select value={settings.features} onChange={(e) => change({ features: e.target.value as AllocationSettings['features'] })}>
            <option value="id">identity</option>
            <option value="sqrt">√</option>
            <option value="log1p">log1p</option>
          </select>
        </label>
      </div>
      {problem && (
        <p className="field-problem" role="alert" data-testid="review-problem">
          {problem}; the chart shows the scan's own allocation until the values can run
        </p>
      )}
      <button
        className="primary"
        disabled={problem !== null}
        onClick={() => {
          setConfig({ rank: settings.rankRef, rankMin: settings.rankMin, rankMax: settings.rankMax, features: settings.features });
          continueRun();
        }}
        data-testid="continue-run"
      >
        Train with these ranks
      </button>
    </div>
  );
}
