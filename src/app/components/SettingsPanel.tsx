import { useStore } from '../state/store';
import { isBusy } from '../state/run';
import { needsScan, resolveWeightFormat, weightFormatProblem, type JobConfig } from '../../train/config';
import { WEIGHT_FORMATS, type WeightFormat } from '../../engine/weight-format';
import { deviceBudget, planRun, type RunPlan } from '../../train/memory-plan';
import { formatBytes } from './format';
import { METHOD_NAMES, methodDescription, methodLabel } from '../../compare/methods';

/** `gora`: shown for GoRA only; `scan`: for the methods that scan (needsScan). */
const FIELDS: Array<{ key: keyof JobConfig; label: string; step?: number; gora?: boolean; scan?: boolean }> = [
  { key: 'steps', label: 'Steps' },
  { key: 'batchSize', label: 'Batch size' },
  { key: 'seqLen', label: 'Sequence length' },
  { key: 'lr', label: 'Learning rate', step: 0.0001 },
  { key: 'rank', label: 'Rank (r_ref)' },
  { key: 'rankMin', label: 'Min rank', gora: true },
  { key: 'rankMax', label: 'Max rank', gora: true },
  { key: 'alpha', label: 'α' },
  { key: 'gamma', label: 'γ (initial step)', step: 0.01, gora: true },
  { key: 'scanBatches', label: 'Scan batches', scan: true },
  { key: 'seed', label: 'Seed' },
  { key: 'checkpointEvery', label: 'Checkpoint every' },
  // How much evaluation a run does: on a large model or a slow GPU it can outlast a short training.
  { key: 'evalEvery', label: 'Evaluate every (0: at the end)' },
  { key: 'evalBatches', label: 'Validation batches (0: all)' },
  { key: 'generateSamples', label: 'Generations' },
];

export function SettingsPanel() {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const resetConfig = useStore((s) => s.resetConfig);
  const reviewRanks = useStore((s) => s.reviewRanks);
  const setReviewRanks = useStore((s) => s.setReviewRanks);
  const refreshPreview = useStore((s) => s.refreshPreview);
  const busy = useStore(isBusy);
  const gora = config.method === 'gora';
  const scans = needsScan(config.method);

  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">3 · Method and settings</h2>
      <div className="segmented wrap" role="radiogroup" aria-label="method">
        {METHOD_NAMES.map((m) => (
          <button key={m} role="radio" aria-checked={config.method === m} className={config.method === m ? 'active' : ''} onClick={() => setConfig({ method: m })} disabled={busy} title={methodDescription(m)} data-testid={`method-${m}`}>
            {methodLabel(m)}
          </button>
        ))}
      </div>
      <p className="muted small" data-testid="method-description">
        {methodDescription(config.method)}
      </p>
      <div className="grid-fields">
        {FIELDS.filter((f) => (gora || !f.gora) && (scans || !f.scan)).map((f) => (
          <label key={f.key}>
            {f.label}
            <input
              type="number"
              value={config[f.key] as number}
              step={f.step ?? 1}
              disabled={busy}
              onChange={(e) => e.target.value !== '' && setConfig({ [f.key]: Number(e.target.value) } as Partial<JobConfig>)}
              onBlur={() => (f.key === 'seqLen' || f.key === 'seed') && void refreshPreview()}
              data-testid={`setting-${f.key}`}
            />
          </label>
        ))}
        {gora && (
          <label>
            Feature function
            <select value={config.features} onChange={(e) => setConfig({ features: e.target.value as JobConfig['features'] })} disabled={busy}>
              <option value="id">identity</option>
              <option value="sqrt">√</option>
              <option value="log1p">log1p</option>
            </select>
          </label>
        )}
        <WeightsChoice />
      </div>
      {gora && (
        <label className="check">
          <input type="checkbox" checked={reviewRanks} onChange={(e) => setReviewRanks(e.target.checked)} disabled={busy} /> Pause after the scan to tune ranks
        </label>
      )}
      <MemoryEstimate />
      <button className="link" onClick={resetConfig} disabled={busy}>
        Reset to defaults
      </button>
    </section>
  );
}

const FORMAT_LABELS: Record<WeightFormat, string> = { f32: 'f32', bf16: 'bf16', f16: 'f16', int8: 'int8 (quantised)', q4: '4-bit (quantised)' };

/** How the frozen weights sit on the GPU, each choice with the GPU memory its weights take. */
function WeightsChoice() {
  const info = useStore((s) => s.modelInfo);
  const config = useStore((s) => s.config);
  const limits = useStore((s) => s.gpuInfo?.limits);
  const setConfig = useStore((s) => s.setConfig);
  const busy = useStore(isBusy);
  if (!info) return null;
  const weightBytes = (weights: WeightFormat): string => {
    try {
      return formatBytes(planRun(info.spec, { ...config, weights }, deviceBudget(limits ?? {}), info.dtype).estimate.weights);
    } catch {
      return 'does not fit';
    }
  };
  const asStored = resolveWeightFormat({ ...config, weights: null }, info.dtype);
  return (
    <label className="full-row" title="Frozen weights stored narrower take less GPU memory; adapters, activations and gradients stay f32. int8 and 4-bit approximate the weights.">
      Frozen weights
      <select
        value={config.weights ?? ''}
        onChange={(e) => setConfig({ weights: e.target.value === '' ? null : (e.target.value as WeightFormat) })}
        disabled={busy}
        data-testid="setting-weights"
      >
        <option value="">
          the checkpoint's ({asStored}, {weightBytes(asStored)})
        </option>
        {WEIGHT_FORMATS.map((f) => {
          const problem = weightFormatProblem(config.method, f);
          return (
            <option key={f} value={f} disabled={problem !== null} title={problem ?? undefined}>
              {FORMAT_LABELS[f]}, {weightBytes(f)}
            </option>
          );
        })}
      </select>
    </label>
  );
}

function MemoryEstimate() {
  const spec = useStore((s) => s.modelInfo?.spec);
  const dtype = useStore((s) => s.modelInfo?.dtype);
  const config = useStore((s) => s.config);
  const limits = useStore((s) => s.gpuInfo?.limits);
  if (!spec) return null;
  let plan: RunPlan;
  try {
    plan = planRun(spec, config, deviceBudget(limits ?? {}), dtype);
  } catch (error) {
    return (
      <p className="notice error small" data-testid="memory-estimate">
        {(error as Error).message}
      </p>
    );
  }
  const m = plan.estimate;
  return (
    <p className="muted small" data-testid="memory-estimate">
      Estimated GPU memory: {formatBytes(m.peak)} (weights {formatBytes(m.weights)}, activations {formatBytes(m.activations)}
      {m.scanGradients ? `, scan ${formatBytes(m.scanGradients)}` : ''}, training {formatBytes(m.training)})
      {plan.reason && `. Runs as ${plan.config.gradAccum} micro-batches of ${plan.config.batchSize} rows per step: ${plan.reason}.`}
    </p>
  );
}
