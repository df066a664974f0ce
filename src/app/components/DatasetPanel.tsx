import type { DragEvent } from 'react';
import { useStore } from '../state/store';
import { isBusy } from '../state/run';
import { SAMPLE_DATASETS } from '../sources';
import { datasetWarnings } from '../../data/warnings';
import { SETTING_ROWS, type SettingRow } from '../../train/settings';
import type { JobConfig } from '../../train/config';
import { drawWhitespace, splitAtSeparator } from './format';

export function DatasetPanel() {
  const source = useStore((s) => s.dataSource);
  const status = useStore((s) => s.dataStatus);
  const preview = useStore((s) => s.preview);
  const seq2seq = useStore((s) => s.modelInfo?.seq2seq ?? null) !== null;
  const stats = useStore((s) => s.dataStats);
  const labels = useStore((s) => s.dataLabels);
  const seqLen = useStore((s) => s.config.seqLen);
  const error = useStore((s) => s.dataError);
  const modelReady = useStore((s) => s.modelStatus === 'ready');
  const busy = useStore(isBusy);
  const selectDataset = useStore((s) => s.selectDataset);

  const pick = (file: File | undefined) => file && void selectDataset({ kind: 'file', file });
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    pick(event.dataTransfer.files[0]);
  };

  return (
    <section className="panel" aria-labelledby="data-title" data-testid="dataset-panel" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <h2 id="data-title">2 · Dataset</h2>
      <div className="row wrap">
        {SAMPLE_DATASETS.map((d) => (
          <button
            key={d.name}
            className={source.kind === 'sample' && source.name === d.name ? 'chip-button active' : 'chip-button'}
            onClick={() => void selectDataset({ kind: 'sample', name: d.name })}
            disabled={busy}
          >
            {d.title}
          </button>
        ))}
      </div>
      <label className="file-pick">
        Or your own file (JSONL, CSV, TSV, TXT) — pick or drop it here
        <input type="file" accept=".jsonl,.json,.csv,.tsv,.txt" onChange={(e) => pick(e.target.files?.[0])} disabled={busy} data-testid="dataset-file" />
      </label>
      {seq2seq ? (
        <p className="muted small" data-testid="seq2seq-note">
          An encoder-decoder model reads each prompt (the encoder's input) and completion (the decoder's labels) apart: nothing joins them.
        </p>
      ) : (
        <div className="row wrap">
          {SETTING_ROWS.filter((row) => row.app === 'data').map((row) => (
            <DataSettingField key={row.key} row={row} disabled={busy} />
          ))}
        </div>
      )}
      {!modelReady && <p className="muted">Choose a model first: the preview uses its tokenizer.</p>}
      {status === 'loading' && <p className="muted">Reading…</p>}
      {status === 'error' && error && (
        <p className="notice error" role="alert" data-testid="dataset-error">
          {error}
        </p>
      )}
      {status === 'ready' && stats && (
        <>
          <p className="muted" data-testid="dataset-stats">
            {stats.examples} examples → {stats.trainRows} for training, {stats.valRows} for validation
            {stats.testRows ? `, ${stats.testRows} for test` : ''}
            {stats.splitFrom === 'file' ? ' (the splits the file names)' : ''}
            {stats.truncated ? ` · ${stats.truncated} truncated` : ''}
            {stats.dropped ? ` · ${stats.dropped} too long, left out` : ''}
            {labels ? ` · labels ${labels.map((l) => JSON.stringify(l)).join(', ')}` : ''}
          </p>
          {datasetWarnings(stats, seqLen).map((warning) => (
            <p key={warning} className="notice warn" data-testid="dataset-warning">
              {warning}
            </p>
          ))}
          <ol className="preview" aria-label="first examples as the model sees them">
            {preview.map((row, i) => {
              const parts = splitAtSeparator(row.prompt, row.completion);
              return (
                <li key={i} data-testid="preview-row">
                  <span className="prompt">
                    {parts.prompt}
                    <Separator text={parts.promptSpace} />
                  </span>
                  <span className="completion">
                    <Separator text={parts.completionSpace} />
                    {parts.completion}
                  </span>
                  <span className="muted small"> · {row.tokens} tokens</span>
                </li>
              );
            })}
          </ol>
          <p className="legend small">
            <span className="prompt">prompt (not trained on)</span> <span className="completion">completion (trained on)</span>{' '}
            <span className="separator">␣ ↵</span> where they meet: a space, a new line
          </p>
        </>
      )}
    </section>
  );
}

/**
 * The whitespace where prompt and completion meet, drawn (␣ ↵) rather than left invisible, so a
 * prompt run into its completion ("4?8") can be told from one with a separator ("4?␣8"). A line
 * break is drawn and still breaks the line, as the model reads it.
 */
function Separator({ text }: { text: string }) {
  if (text === '') return null;
  return (
    <span className="separator" data-testid="preview-separator" title="separator">
      {drawWhitespace(text)}
      {text.includes('\n') ? '\n' : ''}
    </span>
  );
}

/** A setting of the table that changes the prepared data and is chosen here, beside its preview. */
function DataSettingField({ row, disabled }: { row: SettingRow; disabled: boolean }) {
  const value = useStore((s) => s.config[row.key]);
  const setConfig = useStore((s) => s.setConfig);
  const refreshPreview = useStore((s) => s.refreshPreview);
  const kind = row.kind;
  if (kind.type !== 'choice') return null;
  const set = (v: string) => {
    setConfig({ [row.key]: v } as Partial<JobConfig>);
    void refreshPreview();
  };
  return (
    <div className="field">
      <label>
        {row.label}{' '}
        <select value={String(value)} onChange={(e) => set(e.target.value)} disabled={disabled} aria-describedby={`help-${row.key}`} data-testid={`setting-${row.key}`}>
          {kind.choices.map((c) => (
            <option key={c} value={c}>
              {kind.labels?.[c] ?? c}
            </option>
          ))}
        </select>
      </label>
      <span className="field-help" id={`help-${row.key}`}>
        {row.help}
      </span>
    </div>
  );
}
