import { describe, expect, it } from 'vitest';
import { expectedRunSeconds, withRunSpeed } from '../src/app/run-speed';

describe('the time shown next to Run', () => {
  const config = { steps: 400, batchSize: 8, seqLen: 64 };

  it('is unknown until a run of the model has finished here, then scales with the tokens trained', () => {
    expect(expectedRunSeconds({}, 'gora-tiny (built in)', config)).toBeNull();
    const speeds = withRunSpeed({}, 'gora-tiny (built in)', config, 800);
    expect(expectedRunSeconds(speeds, 'gora-tiny (built in)', config)).toBeCloseTo(800);
    expect(expectedRunSeconds(speeds, 'gora-tiny (built in)', { ...config, steps: 100, seqLen: 128 })).toBeCloseTo(400);
    // Per model: another model's speed says nothing.
    expect(expectedRunSeconds(speeds, 'smollm2 (folder)', config)).toBeNull();
    // The latest run replaces the speed; a run of no time or no tokens changes nothing.
    expect(expectedRunSeconds(withRunSpeed(speeds, 'gora-tiny (built in)', config, 400), 'gora-tiny (built in)', config)).toBeCloseTo(400);
    expect(withRunSpeed(speeds, 'gora-tiny (built in)', { ...config, steps: 0 }, 10)).toBe(speeds);
  });
});
