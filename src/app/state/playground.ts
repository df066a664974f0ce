// Playground slice: a prompt, the sampling settings, and the model loaded now continuing it twice in
// the worker — as it is, and with an adapter: during a run, the run's own adapter as trained so far
// (generated between its steps); else one loaded from a downloaded adapter zip, else the latest
// finished run's. Both outputs stream in as their tokens are chosen.

import type { StateCreator } from 'zustand';
import { unzipSync } from 'fflate';
import type { GenerationSettings, WorkerResponse } from '../../worker/protocol';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../../export/peft';
import { onWorkerMessage, postToWorker } from '../worker-client';
import type { Store } from './types';
import { isBusy } from './run';

export interface PlaygroundOutput {
  text: string;
  tokens: number;
  tokensPerSecond: number;
  done: boolean;
}

export interface PlaygroundState {
  requestId: string;
  status: 'running' | 'done' | 'error';
  /** Which adapter the adapted side has: a run's label or an adapter file's name; null: none. */
  adapterName: string | null;
  base: PlaygroundOutput | null;
  adapted: PlaygroundOutput | null;
  error: string | null;
}

export interface PlaygroundSlice {
  playgroundPrompt: string;
  playgroundSettings: GenerationSettings;
  /** An adapter loaded from a download (adapter_model.safetensors and adapter_config.json), used instead of the latest run's. */
  playgroundAdapter: { name: string; files: Record<string, Uint8Array> } | null;
  playground: PlaygroundState | null;
  setPlaygroundPrompt: (prompt: string) => void;
  setPlaygroundSettings: (settings: Partial<GenerationSettings>) => void;
  loadPlaygroundAdapter: (file: File) => Promise<void>;
  clearPlaygroundAdapter: () => void;
  generate: () => void;
}

export const DEFAULT_GENERATION: GenerationSettings = { chat: false, maxNewTokens: 32, temperature: 0, topK: 0, topP: 1, seed: 0 };

/** Whether the loaded model can take the prompt as a chat message. */
export function hasChatTemplate(s: Store): boolean {
  return s.tokenizer?.chatTemplate != null && !s.modelInfo?.seq2seq;
}

/** What the adapted side is called while a run trains: its adapter so far. */
export const LIVE_ADAPTER = 'this run\'s adapter, as trained so far';

/** The adapter the playground uses between runs: a loaded one, else the latest finished adapter run's. */
export function playgroundAdapter(s: Store): { name: string; files: Record<string, Uint8Array> } | null {
  if (s.playgroundAdapter) return s.playgroundAdapter;
  const run = [...s.runs].reverse().find((r) => r.status === 'done' && r.files?.[ADAPTER_WEIGHTS] && r.config.method !== 'full');
  return run ? { name: run.label, files: run.files! } : null;
}

export const playgroundSlice: StateCreator<Store, [], [], PlaygroundSlice> = (set, get) => {
  onWorkerMessage((message: WorkerResponse) => {
    const current = get().playground;
    if (!current || !('requestId' in message) || message.requestId !== current.requestId) return;
    if (message.type === 'generate-error') set({ playground: { ...current, status: 'error', error: message.message } });
    if (message.type !== 'generated') return;
    const output = { text: message.text, tokens: message.tokens, tokensPerSecond: message.tokensPerSecond, done: message.done };
    const next = { ...current, [message.which]: output };
    const finished = message.done && (message.which === 'adapted' || current.adapterName === null);
    set({ playground: { ...next, status: finished ? 'done' : 'running' } });
  });
  return {
    playgroundPrompt: '',
    playgroundSettings: DEFAULT_GENERATION,
    playgroundAdapter: null,
    playground: null,
    setPlaygroundPrompt: (prompt) => set({ playgroundPrompt: prompt }),
    setPlaygroundSettings: (settings) => set({ playgroundSettings: { ...get().playgroundSettings, ...settings } }),
    loadPlaygroundAdapter: async (file) => {
      try {
        const files = unzipSync(new Uint8Array(await file.arrayBuffer()));
        // The files may sit in a folder inside the zip.
        const find = (name: string) => Object.entries(files).find(([path]) => path === name || path.endsWith(`/${name}`))?.[1];
        const weights = find(ADAPTER_WEIGHTS);
        const config = find(ADAPTER_CONFIG);
        if (!weights || !config) throw new Error(`it holds no ${!weights ? ADAPTER_WEIGHTS : ADAPTER_CONFIG}: choose an adapter zip downloaded from this app (or a PEFT adapter folder zipped)`);
        set({ playgroundAdapter: { name: file.name, files: { [ADAPTER_WEIGHTS]: weights, [ADAPTER_CONFIG]: config } } });
      } catch (error) {
        set({ playground: { requestId: '', status: 'error', adapterName: null, base: null, adapted: null, error: `${file.name} could not be read: ${(error as Error).message}` } });
      }
    },
    clearPlaygroundAdapter: () => set({ playgroundAdapter: null }),
    generate: () => {
      const s = get();
      const live = isBusy(s);
      const adapter = live ? null : playgroundAdapter(s);
      const requestId = `gen-${Date.now()}`;
      set({ playground: { requestId, status: 'running', adapterName: live ? LIVE_ADAPTER : (adapter?.name ?? null), base: null, adapted: null, error: null } });
      // The chat format only where the loaded model has a template (a setting kept from another model does not apply).
      const settings = { ...s.playgroundSettings, chat: s.playgroundSettings.chat && hasChatTemplate(s) };
      postToWorker({ type: 'generate', requestId, model: s.modelSource, prompt: s.playgroundPrompt, adapter: adapter?.files ?? null, settings, live });
    },
  };
};
