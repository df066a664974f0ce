// The settings table is the one definition of every training setting: the CLI's defaults, flags,
// parsing and help, the app's defaults and fields, validation and resuming all come from it.

import { describe, expect, it, vi } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { create } from 'zustand';
import { checkConfig, configProblems, defaultConfig, METHOD_IDS, SettingError, settingProblem, switchMethod, type JobConfig, type Method } from '../../src/train/config';
import { DEFAULT_METHOD, RESUMABLE_SETTINGS, SETTING_KEYS, SETTING_ROWS, SETTINGS, shownFor } from '../../src/train/settings';
import { RESUMABLE_SETTINGS as CHECKPOINT_RESUMABLE } from '../../src/train/checkpoint';
import { applyFlags, flagRows, flagText, resumeFlags, settingsHelp } from '../../src/cli/setting-flags';
import { newConfig } from '../../src/cli/finetune';
import { UsageError } from '../../src/cli/errors';
import { comparisonPlan } from '../../src/compare/plan';

// The app's store, made of the settings slice alone, for the panel to read (no page, no worker).
vi.mock('../../src/app/worker-client', () => ({ postToWorker: () => {}, onWorkerMessage: () => () => {} }));
const { settingsSlice } = await import('../../src/app/state/settings');
type Store = import('../../src/app/state/types').Store;
const appStore = () => create<Store>()((...a) => ({ ...settingsSlice(...a), reviewRanks: false, setReviewRanks: () => {}, refreshPreview: async () => {}, modelInfo: null, gpuInfo: null, runs: [] }) as unknown as Store);
let panelStore = appStore();
vi.mock('../../src/app/state/store', () => ({ useStore: <T>(select: (s: Store) => T) => select(panelStore.getState()) }));
const { SettingsPanel } = await import('../../src/app/components/SettingsPanel');

/** Every JobConfig key, listed by hand: the compiler refuses this object if JobConfig gains or loses one. */
const JOB_CONFIG_KEYS = {
  method: true, steps: true, batchSize: true, gradAccum: true, seqLen: true, lr: true, rank: true, rankMin: true, rankMax: true, alpha: true,
  gamma: true, gammaAuto: true, scanBatches: true, scanPasses: true, features: true, loraPlusRatio: true, warmupFraction: true, minLrRatio: true,
  maxGradNorm: true, weightDecay: true, seed: true, valFraction: true, separator: true, evalEvery: true, evalBatches: true, generateSamples: true, maxNewTokens: true,
  checkpointEvery: true, weights: true,
} satisfies Record<keyof JobConfig, true>;

/** The fields the app's e2e tests type into (e2e/*.e2e.ts, by data-testid="setting-<key>"). */
const E2E_FIELDS = ['steps', 'batchSize', 'seqLen', 'scanBatches', 'lr', 'checkpointEvery', 'evalEvery', 'evalBatches', 'generateSamples', 'weights'] as const;

/** A valid value other than each method's default, as a flag's text, for each setting with a flag. */
function otherValue(key: keyof JobConfig, method: Method): string {
  const row = SETTINGS[key];
  const now = defaultConfig(method)[key];
  switch (row.kind.type) {
    case 'choice':
      return row.kind.choices.find((c) => c !== now && settingProblem(key, c as never, { ...defaultConfig(method), gammaAuto: false }) === null)!;
    case 'integer':
      return String((now as number) + 1);
    case 'number':
      return String(row.kind.max === 1 ? 0.5 : (now as number) + 0.25);
    case 'boolean':
      return 'true';
  }
}

describe('the settings table', () => {
  it('has exactly one row for every JobConfig key', () => {
    expect([...SETTING_KEYS].sort()).toEqual(Object.keys(JOB_CONFIG_KEYS).sort());
    expect(new Set(SETTING_ROWS.map((r) => r.key)).size).toBe(SETTING_ROWS.length);
    const flags = SETTING_ROWS.flatMap((r) => (r.flag ? [r.flag] : []));
    expect(new Set(flags).size).toBe(flags.length);
    const labels = SETTING_ROWS.map((r) => r.label);
    expect(new Set(labels).size).toBe(labels.length);
    // A setting without a flag of its own is set through another's word.
    for (const row of SETTING_ROWS.filter((r) => r.flag === null)) expect(SETTING_ROWS.some((r) => r.auto === row.key), row.key).toBe(true);
  });

  it("gives every method defaults that pass its own checks, with the CLI's values", () => {
    for (const method of METHOD_IDS) {
      expect(configProblems(defaultConfig(method)), method).toEqual([]);
      expect(defaultConfig(method).method).toBe(method);
    }
    expect(defaultConfig('gora')).toMatchObject({ steps: 400, batchSize: 8, seqLen: 64, lr: 2e-4, loraPlusRatio: 16, evalEvery: 100, evalBatches: 0, maxNewTokens: 16, weights: null });
    expect(defaultConfig('lora-ga')).toMatchObject({ lr: 1e-3, loraPlusRatio: 1 });
    expect(defaultConfig('full')).toMatchObject({ lr: 5e-5, loraPlusRatio: 1 });
    expect(DEFAULT_METHOD).toBe('gora');
  });

  it("gives the app the CLI's defaults for every method", () => {
    const store = appStore();
    expect(store.getState().config).toEqual(newConfig({}));
    for (const method of METHOD_IDS) {
      store.getState().setConfig({ method });
      store.getState().resetConfig();
      expect(store.getState().config, method).toEqual(newConfig({ method }));
    }
  });

  it('names settings by their label in its messages, with the key for the field beside it', () => {
    const base = defaultConfig('gora');
    expect(() => checkConfig({ ...base, steps: 0 })).toThrow(new SettingError('steps', 'Steps must be a whole number ≥ 1, got 0'));
    const cases: Array<[Partial<JobConfig>, keyof JobConfig, string]> = [
      [{ lr: 0 }, 'lr', 'Learning rate must be a number > 0, got 0'],
      [{ batchSize: 2.5 }, 'batchSize', 'Batch size must be a whole number ≥ 1, got 2.5'],
      [{ seqLen: 1 }, 'seqLen', 'Sequence length must be a whole number ≥ 2, got 1'],
      [{ warmupFraction: 2 }, 'warmupFraction', 'Warm-up fraction must be a number from 0 to 1, got 2'],
      [{ valFraction: 1 }, 'valFraction', 'Validation fraction must be a number from 0 up to (not including) 1, got 1'],
      [{ gamma: -1 }, 'gamma', 'γ (initial step) must be a number ≥ 0, got -1'],
      [{ features: 'cube' as never }, 'features', 'Feature function must be one of id, sqrt, log1p, got "cube"'],
      [{ rankMin: 40 }, 'rankMin', 'Min rank (40) is above Max rank (32)'],
      [{ method: 'lora', gammaAuto: true }, 'gammaAuto', "Adaptive γ is GoRA's and needs the method gora, got lora"],
      [{ method: 'full', weights: 'bf16' }, 'weights', 'Full fine-tuning trains every weight and keeps them in f32: choose f32 for Frozen weights (or an adapter method to keep the frozen weights in bf16)'],
    ];
    for (const [change, key, message] of cases) {
      const config = { ...base, ...change };
      expect(configProblems(config)[0], key).toEqual({ key, message });
      expect(settingProblem(key, config[key], config)).toBe(message);
      expect(message.startsWith(SETTINGS[key].label) || message.includes(SETTINGS[key].label), key).toBe(true);
      expect(message, key).not.toMatch(/--/);
    }
    // A per-field check sees the value being typed with the rest of the settings.
    expect(settingProblem('rankMax', 2, base)).toBe('Min rank (4) is above Max rank (2)');
    expect(settingProblem('steps', 5, base)).toBeNull();
  });

  it('reads every training flag from the table, and compare all but those kept to finetune', () => {
    for (const row of flagRows('finetune')) {
      const method: Method = row.key === 'method' ? 'gora' : row.key === 'gamma' ? 'gora' : 'lora';
      const text = otherValue(row.key, method);
      const config = newConfig({ method, [row.flag!]: text });
      expect(String(config[row.key]), row.flag!).toBe(text);
    }
    expect(newConfig({ gamma: 'auto' })).toMatchObject({ gammaAuto: true, gamma: 0.05 });
    expect(() => newConfig({ steps: 'many' })).toThrow(new UsageError('--steps: Steps must be a whole number ≥ 1, got "many"'));
    expect(flagRows('compare').map((r) => r.flag)).toEqual(flagRows('finetune').filter((r) => !['method', 'checkpoint-every', 'weights'].includes(r.flag!)).map((r) => r.flag));
    expect(flagText('gammaAuto')).toBe('--gamma auto');
  });

  it('lists every flag in the help, with its default', () => {
    const help = settingsHelp();
    for (const row of flagRows('finetune')) expect(help, row.flag!).toMatch(new RegExp(`^  --${row.flag}\\b`, 'm'));
    expect(help).toMatch(/^  --lr X +.*\n.*\n.*\(default 0\.001; gora 0\.0002, full 0\.00005\)$/m);
    expect(help).toMatch(/^  --eval-every N +steps between validation losses \(default 100; 0: at the end\)$/m);
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('lets a resume change only the resumable settings, which are the checkpoint check too', () => {
    expect(CHECKPOINT_RESUMABLE).toBe(RESUMABLE_SETTINGS);
    expect([...RESUMABLE_SETTINGS].sort()).toEqual(['checkpointEvery', 'evalBatches', 'evalEvery', 'generateSamples', 'maxNewTokens', 'scanPasses']);
    const saved = defaultConfig('gora');
    const refuse = (flag: string, given: string, was: string) => new Error(`${flag} ${given} (was ${was})`);
    expect(resumeFlags({ 'eval-every': '5', steps: '400', gamma: '0.05' }, saved, refuse)).toEqual({ ...saved, evalEvery: 5 });
    expect(() => resumeFlags({ steps: '7' }, saved, refuse)).toThrow('steps 7 (was 400)');
    expect(() => resumeFlags({ gamma: 'auto' }, saved, refuse)).toThrow('gamma auto (was 0.05)');
    expect(() => resumeFlags({ gamma: '0.05' }, { ...saved, gammaAuto: true }, refuse)).toThrow('gamma 0.05 (was auto)');
  });

  it("shows in the app each setting for the methods its row names, under the e2e tests' ids", () => {
    for (const method of METHOD_IDS) {
      panelStore = appStore();
      panelStore.getState().setConfig({ method });
      const html = renderToStaticMarkup(createElement(SettingsPanel));
      const fields = [...html.matchAll(/data-testid="setting-(\w+)"/g)].map((m) => m[1]);
      // The method has its own picker, and the weight format's list needs a model.
      const want = SETTING_ROWS.filter((r) => r.key !== 'method' && r.key !== 'weights' && shownFor(r, method, method === 'gora' || method === 'lora-ga')).map((r) => r.key);
      expect(fields, method).toEqual(want);
      for (const key of want) expect(html, key).toContain(`>${SETTINGS[key].label}`);
    }
    // The e2e tests type them for GoRA (the default method), so GoRA shows every one.
    for (const key of E2E_FIELDS) expect(shownFor(SETTINGS[key], 'gora', true), key).toBe(true);
  });

  it('brings a new method its own defaults unless they were changed, and drops what it cannot use', () => {
    const gora = { ...defaultConfig('gora'), gammaAuto: true, rank: 5 };
    expect(switchMethod(gora, 'full')).toEqual({ ...defaultConfig('full'), rank: 5 });
    expect(switchMethod({ ...gora, lr: 1e-3 }, 'full').lr).toBe(1e-3);
    expect(switchMethod({ ...defaultConfig('lora'), weights: 'q4' }, 'pissa').weights).toBeNull();
    // A comparison gives each method its own per-method defaults, and the one rate when asked.
    const plan = comparisonPlan({ ...defaultConfig('gora'), lr: 0.5, loraPlusRatio: 3 }, ['gora', 'full'], [0], null);
    expect(plan.map((p) => [p.config.lr, p.config.loraPlusRatio])).toEqual([[2e-4, 16], [5e-5, 1]]);
    expect(applyFlags({}, flagRows('finetune'), defaultConfig('lora'))).toEqual(defaultConfig('lora'));
  });
});
