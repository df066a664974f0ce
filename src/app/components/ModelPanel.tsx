import { useState, type DragEvent } from 'react';
import { zipSync } from 'fflate';
import { useStore } from '../state/store';
import { isBusy } from '../state/run';
import { EMBEDDED_DOWNLOAD_FILES, EMBEDDED_MODELS, fetchEmbeddedFiles } from '../sources';
import { saveBytes } from './download';
import { parseModelId } from '../../model/hub';
import { formatBytes, formatCount } from './format';
import { formatRate } from '../../train/rate';

type Tab = 'embedded' | 'folder' | 'hub';

export function ModelPanel() {
  const source = useStore((s) => s.modelSource);
  const status = useStore((s) => s.modelStatus);
  const info = useStore((s) => s.modelInfo);
  const progress = useStore((s) => s.modelProgress);
  const error = useStore((s) => s.modelError);
  const busy = useStore(isBusy);
  const loadModel = useStore((s) => s.loadModel);
  const [tab, setTab] = useState<Tab>(source.kind);
  const builtInLoaded = status !== 'loading' && info !== null && source.kind === 'embedded';

  return (
    <section className="panel" aria-labelledby="model-title" data-testid="model-panel">
      <h2 id="model-title">1 · Model</h2>
      <div className="tabs" role="tablist">
        {(['embedded', 'folder', 'hub'] as Tab[]).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} disabled={busy}>
            {t === 'embedded' ? 'Built in' : t === 'folder' ? 'Local folder' : 'Hugging Face'}
          </button>
        ))}
      </div>
      {tab === 'embedded' && (
        <div className="tab-body">
          <p className="muted">Small models trained for this app, ready offline.</p>
          {EMBEDDED_MODELS.map(({ name, description }) =>
            builtInLoaded && source.name === name ? (
              <div key={name}>
                <p data-testid="built-in-loaded">{name} is loaded.</p>
                <DownloadBuiltIn name={name} />
              </div>
            ) : (
              <p key={name}>
                <button onClick={() => void loadModel({ kind: 'embedded', name })} disabled={busy || status === 'loading'} data-testid={`use-${name}`}>
                  Use {name}
                </button>{' '}
                <span className="muted small">{description}</span>
              </p>
            ),
          )}
        </div>
      )}
      {tab === 'folder' && <FolderPicker disabled={busy} />}
      {tab === 'hub' && <HubPicker disabled={busy} />}
      {status === 'loading' && (
        <div className="progress-block" data-testid="model-progress">
          <progress value={progress?.bytes ?? 0} max={progress?.totalBytes ?? undefined} />
          <span className="muted">
            {progress ? `${progress.fromCache ? 'from cache' : 'downloading'} ${progress.file} · ${formatBytes(progress.bytes)}${progress.totalBytes ? ` of ${formatBytes(progress.totalBytes)}` : ''}${progress.rate ? ` · ${formatRate(progress.rate)}` : ''}` : 'opening…'}
          </span>
        </div>
      )}
      {error && (
        <p className="notice error" role="alert" data-testid="model-error">
          {error}
        </p>
      )}
      {info && (
        <dl className="facts" data-testid="model-info">
          <dt>Model</dt>
          <dd>{info.name}</dd>
          <dt>Architecture</dt>
          <dd>
            {info.architecture}, {info.shape}
          </dd>
          <dt>Parameters</dt>
          <dd>{formatCount(info.parameters)}</dd>
          <dt>Adaptable layers</dt>
          <dd>{info.targets}</dd>
          {progress && source.kind === 'hub' && (
            <>
              <dt>Source</dt>
              <dd data-testid="model-cache">{progress.fromCache ? 'local cache' : 'downloaded'}</dd>
            </>
          )}
        </dl>
      )}
    </section>
  );
}

/**
 * A built-in model as a zip of one folder named after it, as Hugging Face lays a model out: an
 * adapter trained on it names it (`gora-tiny`) as its base model, and `from_pretrained("gora-tiny")`
 * run beside the unzipped folder finds it.
 */
function DownloadBuiltIn({ name }: { name: string }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const files = await fetchEmbeddedFiles(name, EMBEDDED_DOWNLOAD_FILES);
      const zip = zipSync(Object.fromEntries([...files].map(([file, bytes]) => [`${name}/${file}`, bytes])), { level: 0 });
      saveBytes(zip, `${name}.zip`, 'application/zip');
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: `${name} could not be downloaded: ${(error as Error).message}` });
    }
  };
  return (
    <>
      <button className="secondary" onClick={() => void download()} disabled={state.busy} data-testid="download-built-in" title="config.json, model.safetensors, tokenizer files and model card, in a folder named after the model">
        {state.busy ? 'Preparing…' : `Download ${name} (zip)`}
      </button>
      <p className="muted small">The base model an adapter trained on it names: unzipped, the folder {name}/ loads in transformers and PEFT.</p>
      {state.error && (
        <p className="notice error" role="alert">
          {state.error}
        </p>
      )}
    </>
  );
}

function FolderPicker({ disabled }: { disabled: boolean }) {
  const loadModel = useStore((s) => s.loadModel);
  const open = (files: File[]) => {
    if (files.length === 0) return;
    const first = files[0].webkitRelativePath.split('/')[0] || 'model';
    void loadModel({ kind: 'folder', name: first, files });
  };
  const onDrop = async (event: DragEvent) => {
    event.preventDefault();
    open(await droppedFiles(event.dataTransfer));
  };
  return (
    <div className="tab-body dropzone" onDragOver={(e) => e.preventDefault()} onDrop={(e) => void onDrop(e)}>
      <p className="muted">Pick or drop a folder downloaded from the hub: config.json, *.safetensors, tokenizer.json.</p>
      <input
        type="file"
        aria-label="model folder"
        disabled={disabled}
        {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
        multiple
        onChange={(e) => open(Array.from(e.target.files ?? []))}
      />
    </div>
  );
}

function HubPicker({ disabled }: { disabled: boolean }) {
  const hubUrl = useStore((s) => s.hubUrl);
  const modelId = useStore((s) => s.hubModelId);
  const setHubUrl = useStore((s) => s.setHubUrl);
  const setModelId = useStore((s) => s.setHubModelId);
  const loadModel = useStore((s) => s.loadModel);
  const clearCache = useStore((s) => s.clearModelCache);
  const [message, setMessage] = useState<string | null>(null);
  const load = () => {
    try {
      setMessage(null);
      void loadModel({ kind: 'hub', hub: hubUrl, id: parseModelId(modelId, hubUrl) });
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  return (
    <div className="tab-body">
      <label>
        Model id or URL
        <input value={modelId} placeholder="HuggingFaceTB/SmolLM2-135M" onChange={(e) => setModelId(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && load()} data-testid="hub-model-id" />
      </label>
      <label>
        Hub address
        <input value={hubUrl} onChange={(e) => setHubUrl(e.target.value)} data-testid="hub-url" />
      </label>
      <div className="row">
        <button onClick={load} disabled={disabled || !modelId.trim()} data-testid="hub-load">
          Load
        </button>
        <button className="secondary" onClick={() => void clearCache().then(() => setMessage('Cache cleared.'))} disabled={disabled}>
          Clear cache
        </button>
      </div>
      {message && <p className="muted">{message}</p>}
    </div>
  );
}

/** Every file under the dropped folders (or the dropped files themselves). */
async function droppedFiles(transfer: DataTransfer): Promise<File[]> {
  const entries = Array.from(transfer.items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (entries.length === 0) return Array.from(transfer.files);
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push(new File([file], file.name, { type: file.type }));
      Object.defineProperty(files[files.length - 1], 'webkitRelativePath', { value: `${path}${file.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      const children = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      for (const child of children) await walk(child, `${path}${entry.name}/`);
    }
  };
  for (const entry of entries) await walk(entry, '');
  return files;
}
