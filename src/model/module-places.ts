// Where each adapted module sits, read from PEFT module names, for tables and maps of ranks: its
// block — "3", or "encoder 0" / "decoder 0" when the model has several stacks — and the module
// inside the block — its own name (`q_proj`, `c_attn`), or, where a block holds two of one name as
// a T5 decoder block does (self- and cross-attention's q), its path in the block (`EncDecAttention.q`).

export interface ModulePlace {
  layer: string;
  module: string;
  /** Short forms for a narrow map: `L3`, `enc 0`; `q`, `self q`, `cross q`. */
  layerLabel: string;
  moduleLabel: string;
}

/** Short names of the parts of a block that hold several modules of one name (T5's). */
const SHORT_PARTS: Record<string, string> = { SelfAttention: 'self', EncDecAttention: 'cross', DenseReluDense: '', encoder: 'enc', decoder: 'dec' };
const shorten = (text: string) =>
  text
    .split(/[ .]/)
    .map((part) => SHORT_PARTS[part] ?? part.replace(/_proj$/, ''))
    .filter((part) => part !== '')
    .join(' ');

export function modulePlaces(modules: readonly string[]): ModulePlace[] {
  const parsed = modules.map((name) => {
    const parts = name.split('.');
    const at = parts.findIndex((part) => /^\d+$/.test(part));
    if (at < 0) return { stack: '', block: name, path: name, short: name };
    // T5 numbers its sub-layers too (`block.0.layer.1.EncDecAttention.q`): the path leaves that out.
    return { stack: parts[0], block: parts[at], path: parts.slice(at + 1).join('.').replace(/^layer\.\d+\./, ''), short: parts.at(-1)! };
  });
  const stacks = new Set(parsed.map((p) => p.stack)).size > 1;
  const layers = parsed.map((p) => (stacks ? `${p.stack} ${p.block}` : p.block));
  const shortUnique = layers.every((layer, i) => parsed.findIndex((p, j) => layers[j] === layer && p.short === parsed[i].short) === i);
  return parsed.map((p, i) => {
    const module = shortUnique ? p.short : p.path;
    return { layer: layers[i], module, layerLabel: stacks ? shorten(layers[i]) : `L${layers[i]}`, moduleLabel: shorten(module) };
  });
}
