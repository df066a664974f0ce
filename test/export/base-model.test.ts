import { describe, expect, it } from 'vitest';
import { baseModelName } from '../../src/export/base-model';

describe('baseModelName', () => {
  it("prefers the hub id, then config.json's _name_or_path, then the folder's name", () => {
    const config = { _name_or_path: 'HuggingFaceTB/SmolLM2-135M' };
    expect(baseModelName(config, 'smollm2', 'Qwen/Qwen2.5-0.5B')).toBe('Qwen/Qwen2.5-0.5B');
    expect(baseModelName(config, 'smollm2')).toBe('HuggingFaceTB/SmolLM2-135M');
    expect(baseModelName({}, 'gora-tiny')).toBe('gora-tiny');
    expect(baseModelName({ _name_or_path: '  ' }, 'gora-tiny')).toBe('gora-tiny');
    expect(baseModelName({ _name_or_path: 7 }, 'gora-tiny')).toBe('gora-tiny');
  });

  it('skips a recorded local path, which names a folder on another machine', () => {
    for (const path of ['/home/me/models/smol', './smol', '~/smol', 'C:\\models\\smol', 'D:/models/smol', 'models\\smol']) {
      expect(baseModelName({ _name_or_path: path }, 'smol')).toBe('smol');
    }
  });
});
