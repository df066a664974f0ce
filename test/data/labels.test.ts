import { describe, expect, it } from 'vitest';
import { detectLabels } from '../../src/data/labels';

const pc = (completion: string) => ({ prompt: 'Review: …\nSentiment:', completion });

describe('classification detection', () => {
  it('reports a few distinct completions, each seen at least twice, in order of appearance', () => {
    const examples = ['negative', 'positive', 'positive', 'neutral', 'negative', 'neutral', 'positive'].map(pc);
    expect(detectLabels(examples)).toEqual({ labels: ['negative', 'positive', 'neutral'], counts: [2, 3, 2] });
  });

  it('is null for generation data, a label seen once, a single label, text, or too many labels', () => {
    expect(detectLabels(['a', 'b', 'c', 'd'].map(pc))).toBeNull();
    expect(detectLabels(['yes', 'yes', 'no'].map(pc))).toBeNull();
    expect(detectLabels(['yes', 'yes', 'yes'].map(pc))).toBeNull();
    expect(detectLabels([pc('yes'), pc('yes'), pc('no'), pc('no'), { text: 'no' }])).toBeNull();
    const eleven = Array.from({ length: 11 }, (_, i) => `label ${i}`);
    expect(detectLabels([...eleven, ...eleven].map(pc))).toBeNull();
    const ten = eleven.slice(0, 10);
    expect(detectLabels([...ten, ...ten].map(pc))?.labels).toEqual(ten);
    expect(detectLabels([])).toBeNull();
  });

  it('compares completions exactly, since the exact continuation is what gets scored', () => {
    expect(detectLabels([' yes', ' yes', 'yes', 'yes'].map(pc))?.labels).toEqual([' yes', 'yes']);
  });
});
