import { describe, expect, it } from 'vitest';
import { gammaCandidates, searchGamma } from '../../src/gora/gamma';

describe("GoRA's adaptive γ (docs/gora.md §6)", () => {
  it('tries 1, 0.8, 0.8², … down to 1e-5', () => {
    const c = gammaCandidates();
    expect(c[0]).toBe(1);
    expect(c[1]).toBeCloseTo(0.8, 15);
    expect(c[2]).toBeCloseTo(0.64, 15);
    expect(c.at(-1)).toBe(1e-5);
    // 0.8^51 ≈ 1.14e-5 is the last power above 1e-5; then 1e-5 itself.
    expect(c).toHaveLength(53);
    expect(c.at(-2)).toBeCloseTo(0.8 ** 51, 18);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeLessThan(c[i - 1]);
  });

  it('keeps the candidate with the lowest loss when it beats the base loss', async () => {
    // A loss with its minimum at γ = 0.3: the nearest candidate is 0.8^5 ≈ 0.328.
    const search = await searchGamma(2, async (g) => 2 - g + 1.6 * g * g);
    const want = gammaCandidates().reduce((best, g) => (2 - g + 1.6 * g * g < 2 - best + 1.6 * best * best ? g : best));
    expect(search.gamma).toBe(want);
    expect(search.gamma).toBeCloseTo(0.8 ** 5, 12);
    expect(search.tried).toHaveLength(53);
    expect(search.baseLoss).toBe(2);
  });

  it('chooses γ = 0 when no candidate beats the base loss, and never a non-finite loss', async () => {
    expect((await searchGamma(1, async (g) => 1 + g)).gamma).toBe(0);
    expect((await searchGamma(1, async () => 1)).gamma).toBe(0);
    // γ = 1 overflows (NaN), the rest are worse than 0.8's.
    const search = await searchGamma(3, async (g) => (g === 1 ? NaN : g === 0.8 ? 2 : 2.5));
    expect(search.gamma).toBe(0.8);
    await expect(searchGamma(NaN, async () => 0)).rejects.toThrow(/finite base loss/);
  });
});
