// The list of runs kept in the browser (src/app/saved-runs.ts) on an in-memory stand-in for the
// Origin Private File System: a damaged run is named and skipped, and the others are still offered.

import { describe, expect, it } from 'vitest';
import { listSavedRuns } from '../src/app/saved-runs';
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
