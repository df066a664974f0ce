// CPU twin of shaders/position-bias.wgsl.

import type { PositionBiasShape } from '../ops/position-bias';
import type { Floats } from './floats';

// bias [H, Tq, Tk] = table [buckets, H] gathered by pairBuckets [Tq, Tk]
export function positionBiasForwardRef(bias: Floats, table: Floats, pairBuckets: Uint32Array, s: PositionBiasShape): void {
  const pairs = s.Tq * s.Tk;
  for (let h = 0; h < s.H; h++) for (let pair = 0; pair < pairs; pair++) bias[h * pairs + pair] = table[pairBuckets[pair] * s.H + h];
}

// dtable [buckets, H] += dbias [H, Tq, Tk] summed by bucket
export function positionBiasBackwardRef(dtable: Floats, dbias: Floats, pairBuckets: Uint32Array, s: PositionBiasShape): void {
  const pairs = s.Tq * s.Tk;
  for (let h = 0; h < s.H; h++) for (let pair = 0; pair < pairs; pair++) dtable[pairBuckets[pair] * s.H + h] += dbias[h * pairs + pair];
}
