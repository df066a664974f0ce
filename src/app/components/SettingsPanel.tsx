import { Fragment, type ReactNode } from 'react';
import { useStore } from '../state/store';
import { isBusy } from '../state/run';
import { needsScan, resolveWeightFormat, settingProblem, weightFormatProblem, type JobConfig } from '../../train/config';
import { SETTING_ROWS, SETTINGS, shownFor, type SettingRow } from '../../train/settings';
import { WEIGHT_FORMATS, type WeightFormat } from '../../engine/weight-format';
import { deviceBudget, planRun, type RunPlan } from '../../train/memory-plan';
import { formatBytes } from './format';
import { METHOD_NAMES, methodDescription, methodLabel } from '../../compare/methods';

/**
 * Settings with a control of their own: the method picks the section's other fields, and the weight
 * format lists the GPU memory each choice takes. Every other row gets the control its kind asks for.
 */
const OWN_CONTROL: Partial<Record<keyof JobConfig, () => ReactNode>> = { method: () => null, weights: () => <WeightsChoice /> };

export function SettingsPanel() {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const resetConfig = useStore((s) => s.resetConfig);
  const reviewRanks = useStore((s) => s.reviewRanks);
  const setReviewRanks = useStore((s) => s.setReviewRanks);
  const busy = useStore(isBusy);
  const methodProblems = useStore((s) => s.modelInfo?.methodProblems);
  const gora = config.method === 'gora';
  const scans = needsScan(config.method);

  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">3 · Method and settings</h2>
      <div className="segmented wrap" role="radiogroup" aria-label="method">
        {METHOD_NAMES.map((m) => (
          <button key={m} role="radio" aria-checked={config.method === m} className={config.method === m ? 'active' : ''} onClick={() => setConfig({ method: m })} disabled={busy || Boolean(methodProblems?.[m])} title={methodProblems?.[m] ?? methodDescription(m)} data-testid={`method-${m}`}>
            {methodLabel(m)}
          </button>
        ))}
      </div>
      <p className="muted small" data-testid="method-description">
        {methodDescription(config.method)}
      </p>
      <div className="grid-fields">
        {SETTING_ROWS.filter((row) => shownFor(row, config.method, scans)).map((row) => {
          const own = OWN_CONTROL[row.key];
          return own ? <Fragment key={row.key}>{own()}</Fragment> : <SettingField key={row.key} row={row} />;
        })}
      </div>
      {gora && (
        <label className="check">
          <input type="checkbox" checked={reviewRanks} onChange={(e) => setReviewRanks(e.target.checked)} disabled={busy} /> Pause after the scan to tune ranks
          <span className="field-help">see each layer's importance and rank, change r_ref, r_min and r_max, then train</span>
        </label>
      )}
      <MemoryEstimate />
      <button className="link" onClick={resetConfig} disabled={busy}>
        Reset to defaults
      </button>
    </section>
  );
}

/** One setting as its kind asks (a number, a choice or a switch), with the table's problem beside it. */
function SettingField({ row }: { row: SettingRow }) {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const refreshPreview = useStore((s) => s.refreshPreview);
  const busy = useStore(isBusy);
  const value = config[row.key];
  const set = (v: unknown) => setConfig({ [row.key]: v } as Partial<JobConfig>);
  const problem = settingProblem(row.key, value, config);
  const kind = row.kind;
  let control: ReactNode;
  if (kind.type === 'choice') {
    control = (
      <select value={value === null ? '' : String(value)} onChange={(e) => set(e.target.value === '' ? null : e.target.value)} disabled={busy} aria-describedby={`help-${row.key}`} data-testid={`setting-${row.key}`}>
        {kind.none !== undefined && <option value="">{kind.none}</option>}
        {kind.choices.map((c) => (
          <option key={c} value={c}>
            {kind.labels?.[c] ?? c}
          </option>
        ))}
      </select>
    );
  } else if (kind.type === 'boolean') {
    control = <input type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} disabled={busy} aria-describedby={`help-${row.key}`} data-testid={`setting-${row.key}`} />;
  } else {
    control = (
      <input
        type="number"
        value={value as number}
        step={row.step ?? (kind.type === 'integer' ? 1 : 'any')}
        min={kind.min}
        max={kind.max}
        disabled={busy}
        onChange={(e) => e.target.value !== '' && set(Number(e.target.value))}
        // The data preview shows rows as the settings cut them.
        onBlur={() => row.data && void refreshPreview()}
        aria-invalid={problem !== null}
        aria-describedby={`help-${row.key}`}
        data-testid={`setting-${row.key}`}
      />
    );
  }
  // The help is the control's description, outside the label so that the name stays short.
  return (
    <div className="field">
      <label>
        {row.label}
        {row.note && ` (${row.note})`}
        {control}
      </label>
      <span className="field-help" id={`help-${row.key}`} data-testid={`help-${row.key}`}>
        {row.help}
      </span>
      {problem && (
        <span className="field-problem" role="alert" data-testid={`problem-${row.key}`}>
          {problem}
        </span>
      )}
    </div>
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
  const { spec } = info;
  const weightBytes = (weights: WeightFormat): string => {
    if (!spec) return '';
    try {
      return `, ${formatBytes(planRun(spec, { ...config, weights }, deviceBudget(limits ?? {}), info.dtype).estimate.weights)}`;
    } catch {
      return ', does not fit';
    }
  };
  const checkpoints = resolveWeightFormat({ ...config, weights: null }, info.dtype);
  const asStored = info.formats.includes(checkpoints) ? checkpoints : info.formats[0];
  return (
    <div className="field full-row">
      <label>
      {SETTINGS.weights.label}
      <select
        value={config.weights ?? ''}
        onChange={(e) => setConfig({ weights: e.target.value === '' ? null : (e.target.value as WeightFormat) })}
        disabled={busy}
        aria-describedby="help-weights"
        data-testid="setting-weights"
      >
        <option value="">
          the checkpoint's ({asStored}{weightBytes(asStored)})
        </option>
        {WEIGHT_FORMATS.map((f) => {
          const problem = info.formats.includes(f) ? weightFormatProblem(config.method, f) : `a ${info.architecture} model holds its frozen weights in ${info.formats.join(' or ')} here`;
          return (
            <option key={f} value={f} disabled={problem !== null} title={problem ?? undefined}>
              {FORMAT_LABELS[f]}
              {weightBytes(f)}
            </option>
          );
        })}
      </select>
      </label>
      <span className="field-help" id="help-weights" data-testid="help-weights">
        narrower frozen weights take less GPU memory; adapters, activations and gradients stay f32, and int8 and 4-bit approximate the weights
      </span>
    </div>
  );
}

function MemoryEstimate() {
  const info = useStore((s) => s.modelInfo);
  const spec = info?.spec;
  const dtype = info?.dtype;
  const config = useStore((s) => s.config);
  const limits = useStore((s) => s.gpuInfo?.limits);
  if (!info) return null;
  if (!spec) {
    return (
      <p className="muted small" data-testid="memory-estimate">
        GPU memory is not estimated ahead for a {info.architecture} model: the run shows what it uses as it goes.
      </p>
    );
  }
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
