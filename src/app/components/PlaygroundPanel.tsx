import { useStore } from '../state/store';
import { isBusy } from '../state/run';
import { hasChatTemplate, LIVE_ADAPTER, playgroundAdapter, type PlaygroundOutput } from '../state/playground';
import type { GenerationSettings } from '../../worker/protocol';

const SETTINGS: Array<{ key: Exclude<keyof GenerationSettings, 'chat'>; label: string; help: string; step: number; min: number; max?: number }> = [
  { key: 'maxNewTokens', label: 'New tokens', help: 'at most this many, or until the end-of-sequence token', step: 1, min: 1, max: 512 },
  { key: 'temperature', label: 'Temperature', help: '0: greedy (the most likely token each time)', step: 0.1, min: 0 },
  { key: 'topK', label: 'Top-k', help: 'draw among the k most likely tokens; 0: all', step: 1, min: 0 },
  { key: 'topP', label: 'Top-p', help: 'draw among the fewest most likely tokens whose probability reaches p; 1: all', step: 0.05, min: 0.01, max: 1 },
  { key: 'seed', label: 'Seed', help: 'the same seed gives the same text', step: 1, min: 0 },
];

/**
 * Try the model: a prompt, continued by the model loaded now as it is and with an adapter (during a
 * run, its adapter as trained so far; else the latest finished run's, or one loaded from a downloaded
 * zip), side by side as the tokens come.
 */
export function PlaygroundPanel() {
  const ready = useStore((s) => s.modelStatus === 'ready' && s.gpuStatus === 'ready');
  const busy = useStore(isBusy);
  const prompt = useStore((s) => s.playgroundPrompt);
  const settings = useStore((s) => s.playgroundSettings);
  const state = useStore((s) => s.playground);
  const chatTemplate = useStore(hasChatTemplate);
  // A name, not the object: a selector must return the same value until the store changes.
  const adapterName = useStore((s) => (isBusy(s) ? LIVE_ADAPTER : (playgroundAdapter(s)?.name ?? null)));
  const loaded = useStore((s) => s.playgroundAdapter);
  const setPlaygroundPrompt = useStore((s) => s.setPlaygroundPrompt);
  const setPlaygroundSettings = useStore((s) => s.setPlaygroundSettings);
  const loadPlaygroundAdapter = useStore((s) => s.loadPlaygroundAdapter);
  const clearPlaygroundAdapter = useStore((s) => s.clearPlaygroundAdapter);
  const generate = useStore((s) => s.generate);
  const running = state?.status === 'running';
  const invalid = SETTINGS.some(({ key, min, max }) => !(settings[key] >= min && (max === undefined || settings[key] <= max)) || ((key === 'maxNewTokens' || key === 'topK' || key === 'seed') && !Number.isInteger(settings[key])));
  return (
    <section className="panel wide" aria-labelledby="playground-title" data-testid="playground">
      <h2 id="playground-title">Playground</h2>
      <p className="muted small">
        The model loaded now continues your prompt as it is and with {adapterName ? <strong data-testid="playground-adapter">{adapterName}</strong> : 'an adapter (train one, or load a downloaded adapter zip)'}.
        {busy && ' During a run the outputs come between its training steps.'} The prompt is read once into a key/value cache; each new token is one step through the model.
      </p>
      <label className="field full-row">
        Prompt
        <textarea value={prompt} onChange={(e) => setPlaygroundPrompt(e.target.value)} rows={3} data-testid="playground-prompt" />
      </label>
      {chatTemplate && (
        <label className="check" title="the prompt becomes one user message in the model's chat template, with the assistant's turn begun">
          <input type="checkbox" checked={settings.chat} onChange={(e) => setPlaygroundSettings({ chat: e.target.checked })} data-testid="playground-chat" />
          As a chat message (the model's chat template)
        </label>
      )}
      <div className="row wrap">
        {SETTINGS.map(({ key, label, help, step, min, max }) => (
          <label key={key} className="field" title={help}>
            {label}
            <input type="number" value={settings[key]} step={step} min={min} max={max} onChange={(e) => setPlaygroundSettings({ [key]: Number(e.target.value) })} data-testid={`playground-${key}`} />
          </label>
        ))}
      </div>
      <div className="row wrap">
        <button className="primary" onClick={generate} disabled={!ready || running || prompt.trim() === '' || invalid} data-testid="playground-generate">
          {running ? 'Generating…' : 'Generate'}
        </button>
        <label className="file-pick small">
          Load an adapter (zip)
          <input type="file" accept=".zip" onChange={(e) => e.target.files?.[0] && void loadPlaygroundAdapter(e.target.files[0])} data-testid="playground-adapter-file" />
        </label>
        {loaded && (
          <button className="link" onClick={clearPlaygroundAdapter}>
            Use the latest run's adapter instead
          </button>
        )}
      </div>
      {state?.error && (
        <p className="notice error" role="alert" data-testid="playground-error">
          {state.error}
        </p>
      )}
      {state && !state.error && (
        <div className="playground-outputs">
          <Output title="Base model" output={state.base} testId="playground-base" />
          {state.adapterName && <Output title={`With ${state.adapterName}`} output={state.adapted} testId="playground-adapted" />}
        </div>
      )}
    </section>
  );
}

function Output({ title, output, testId }: { title: string; output: PlaygroundOutput | null; testId: string }) {
  return (
    <figure className="playground-output" data-testid={testId} data-done={output?.done ? 'true' : 'false'}>
      <figcaption>
        {title}
        {output && <span className="muted small"> · {output.tokens} tokens · {output.tokensPerSecond.toFixed(1)} tokens/s</span>}
      </figcaption>
      <pre className="mono" data-testid={`${testId}-text`}>{output?.text ?? '…'}</pre>
    </figure>
  );
}
