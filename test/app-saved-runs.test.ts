// The list of runs kept in the browser (src/app/saved-runs.ts) on an in-memory stand-in for the
// Origin Private File System: a damaged run is named and skipped, and the others are still offered.

import { describe, expect, it } from 'vitest';
import { folderProblem, listSavedRuns, type SavedRun } from '../src/app/saved-runs';
import { parseRunState, runStateJson } from '../src/app/finished-runs';
import { foldEvent, newRun } from '../src/app/state/fold';
import { CHECKPOINT_STATE, CHECKPOINT_TENSORS } from '../src/train/checkpoint';
import { defaultConfig } from '../src/train/config';

type Tree = { [name: string]: string | Tree };

/** The few FileSystemDirectoryHandle members saved-runs.ts reads: iteration, getFileHandle, getFile. */
function directory(tree: Tree): FileSystemDirectoryHandle {
  const handle = {
    kind: 'directory',
    async *[Symbol.asyncIterator]() {
      for (const [name, entry] of Object.entries(tree)) yield [name, typeof entry === 'string' ? file(entry) : directory(entry)];
    },
    async getFileHandle(name: string) {
      const entry = tree[name];
      if (typeof entry !== 'string') throw new DOMException(`${name} not found`, 'NotFoundError');
      return file(entry);
    },
  };
  return handle as unknown as FileSystemDirectoryHandle;
}

function file(text: string): FileSystemFileHandle {
  return { kind: 'file', getFile: async () => new File([text], 'f') } as unknown as FileSystemFileHandle;
}

const request = (runId: string) => JSON.stringify({ type: 'run', runId, model: { kind: 'embedded', name: 'gora-tiny' }, data: { kind: 'sample', name: 'sentiment' }, dataOptions: {}, config: defaultConfig('gora'), reviewAllocation: false });
const state = (step: number) => JSON.stringify({ step, config: { ...defaultConfig('gora'), steps: 100 } });
const run = (runId: string, step: number): Tree => ({ 'request.json': request(runId), [CHECKPOINT_STATE]: state(step), [CHECKPOINT_TENSORS]: 'tensors' });

describe('the runs kept in the browser', () => {
  it('offers every readable run, newest first, and names each damaged one with the reason', async () => {
    const root = directory({
      'run-a': run('run-a', 10),
      'run-b': { ...run('run-b', 20), [CHECKPOINT_STATE]: '{"step": 20, "conf' },
      'run-c': { ...run('run-c', 30), 'request.json': 'null' },
      'run-d': run('run-d', 40),
      // Started, no checkpoint yet: nothing to resume, and nothing wrong.
      'run-e': { 'request.json': request('run-e') },
      'stray.txt': 'not a run',
    });
    const { runs, unreadable } = await listSavedRuns(root);
    expect(runs.map((r) => [r.runId, r.step, r.steps])).toEqual([
      ['run-d', 40, 100],
      ['run-a', 10, 100],
    ]);
    expect(runs[0].request.config.method).toBe('gora');
    expect(unreadable.map((u) => u.runId)).toEqual(['run-c', 'run-b']);
    expect(unreadable[0].reason).toBe('request.json does not describe a run (no model, data or settings)');
    expect(unreadable[1].reason).toMatch(new RegExp(`^${CHECKPOINT_STATE.replace('.', '\\.')} is not valid JSON \\(`));
  });

  it('refuses a state file that names no step', async () => {
    const { runs, unreadable } = await listSavedRuns(directory({ 'run-a': { ...run('run-a', 1), [CHECKPOINT_STATE]: '{"config": {}}' } }));
    expect(runs).toEqual([]);
    expect(unreadable).toEqual([{ runId: 'run-a', reason: `${CHECKPOINT_STATE} names no step and no step count` }]);
  });
});

describe('a kept run on a folder model', () => {
  const saved = (model: SavedRun['request']['model']) => ({ runId: 'r', step: 3, steps: 12, request: { type: 'run', runId: 'r', model, data: { kind: 'sample', name: 'sentiment' }, dataOptions: {}, config: defaultConfig('lora'), reviewAllocation: false } }) as SavedRun;
  const picked = (folder: string) => [new File(['{}'], 'config.json')].map((f) => Object.defineProperty(f, 'webkitRelativePath', { value: `${folder}/config.json` }));

  it('needs its folder picked again, and only a folder of the same name', () => {
    const run = saved({ kind: 'folder', name: 'smollm2', files: [] });
    expect(folderProblem(run, [])).toBe('choose the folder smollm2 again to resume this run');
    expect(folderProblem(run, picked('gpt2'))).toBe('this run trained the folder smollm2, not gpt2');
    expect(folderProblem(run, picked('smollm2'))).toBeNull();
    expect(folderProblem(saved({ kind: 'embedded', name: 'gora-tiny' }), [])).toBeNull();
  });
});

describe('a finished run kept in the browser', () => {
  it('comes back as it was, NaN and infinite numbers included, without its files (kept beside it)', () => {
    let run = newRun('run-x', 'LoRA', defaultConfig('lora'));
    run = foldEvent(run, { type: 'evaluation', evaluation: { step: 4, loss: NaN, tokens: 0, accuracy: null, examples: 0 } });
    run = foldEvent(run, { type: 'step', step: 1, of: 4, loss: Infinity, lr: 1e-3, tokensPerSecond: 10, elapsed: 1, remaining: 3 });
    run = { ...run, status: 'done', files: { 'adapter_config.json': new Uint8Array([123, 125]) } };
    const back = parseRunState(runStateJson(run));
    expect(back.evaluations[0].loss).toBeNaN();
    expect(back.steps[0].loss).toBe(Infinity);
    expect(back.files).toBeNull();
    expect({ ...back, evaluations: [], steps: [] }).toEqual({ ...run, files: null, evaluations: [], steps: [] });
  });
});
