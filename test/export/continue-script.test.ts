// continue_training.py: the run's own settings written into it (every step's learning rate, LoRA+,
// clipping, the loss of its kind of model), and valid Python (checked with python3 -m py_compile).

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { continueScript } from '../../src/export/continue-script';
import { defaultConfig } from '../../src/train/config';
import { learningRate } from '../../src/train/schedule';

const python = (() => {
  try {
    execFileSync('python3', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

/** Compiles the script with python3 (the syntax only: torch and PEFT are not needed for that). */
function compiles(script: string): boolean {
  const file = join(mkdtempSync(join(tmpdir(), 'gora-continue-')), 'continue_training.py');
  writeFileSync(file, script);
  execFileSync('python3', ['-m', 'py_compile', file]);
  return true;
}

describe('continue_training.py', () => {
  it('carries the run: every step\'s learning rate, LoRA+, clipping, and the causal loss shifted by one', () => {
    const config = { ...defaultConfig('gora'), steps: 40, gradAccum: 2, loraPlusRatio: 4 };
    const script = continueScript({ config, baseModel: 'gora-tiny', taskType: 'CAUSAL_LM' });
    const rates = JSON.parse(/^LEARNING_RATES = (.*)$/m.exec(script)![1]) as number[];
    expect(rates).toEqual(Array.from({ length: 40 }, (_, step) => learningRate(step, { baseLr: config.lr, totalSteps: 40, warmupFraction: config.warmupFraction, minRatio: config.minLrRatio })));
    expect(script).toContain('BASE_MODEL = "gora-tiny"');
    expect(script).toContain('GRAD_ACCUM = 2');
    expect(script).toContain('LORA_PLUS_RATIO = 4');
    expect(script).toContain('SUBTRACT_INITIAL = False');
    expect(script).toContain('labels[:, 1:]');
    console.log(python ? 'python3 -m py_compile: the causal script compiles' : 'python3 not found: the syntax was not checked');
    if (python) expect(compiles(script)).toBe(true);
  });

  it('for T5 scores the labels unshifted, and for LoRA-GA and PiSSA takes s·B₀A₀ out of W first', () => {
    const t5 = continueScript({ config: defaultConfig('lora'), baseModel: 'gora-tiny-t5', taskType: 'SEQ_2_SEQ_LM' });
    expect(t5).toContain('AutoModelForSeq2SeqLM.from_pretrained(BASE_MODEL');
    expect(t5).toContain('attention_mask=attention_mask, labels=labels');
    const pissa = continueScript({ config: defaultConfig('pissa'), baseModel: 'owner/model', taskType: 'CAUSAL_LM' });
    expect(pissa).toContain('SUBTRACT_INITIAL = True');
    console.log(python ? 'python3 -m py_compile: the T5 and PiSSA scripts compile' : 'python3 not found: the syntax was not checked');
    if (python) expect(compiles(t5) && compiles(pissa)).toBe(true);
  });
});
