// Arbitraries that turn a valid input into a malformed one, at two levels: bytes (truncation, bit
// flips, spliced junk, invalid UTF-8, nesting bombs) and parsed JSON (a field replaced by a value of
// the wrong type or range, deleted, or joined by an unexpected one). Mutating real files reaches the
// deep checks that purely random bytes almost never get past.

import fc from 'fast-check';

/** Never valid UTF-8: a stray continuation byte, an overlong NUL, an encoded UTF-16 surrogate, a cut sequence, bytes UTF-8 never uses. */
export const INVALID_UTF8: readonly number[][] = [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff]];

/** Bytes that change a JSON document's structure when they land in it. */
const JSON_BYTES = [...'{}[]":,\\-+.0123456789eE \n'].map((c) => c.charCodeAt(0)).concat([0x00, 0x7f, 0xff]);

type ByteEdit = (bytes: Uint8Array) => Uint8Array;

function splice(bytes: Uint8Array, at: number, remove: number, insert: ArrayLike<number>): Uint8Array {
  const start = Math.min(at, bytes.length);
  const end = Math.min(start + remove, bytes.length);
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

/** Opening brackets (or object openers) repeated up to 50,000 times: the nesting a parser must refuse early. */
const nestingBomb = fc
  .tuple(fc.constantFrom('[', '{"a":', '[{"b":'), fc.integer({ min: 1, max: 50_000 }))
  .map(([open, n]) => new TextEncoder().encode(open.repeat(n)));

// Positions are drawn as any natural number and reduced modulo the length, so one arbitrary fits
// inputs of every size and still shrinks towards the start.
const plainEdits: Array<fc.Arbitrary<ByteEdit>> = [
  fc.nat().map((at): ByteEdit => (b) => b.slice(0, at % (b.length + 1))),
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })
    .map((flips): ByteEdit => (b) => {
      const out = b.slice();
      for (const [at, bit] of flips) if (out.length > 0) out[at % out.length] ^= 1 << bit;
      return out;
    }),
  fc.tuple(fc.nat(), fc.constantFrom(...JSON_BYTES)).map(([at, value]): ByteEdit => (b) => {
    const out = b.slice();
    if (out.length > 0) out[at % out.length] = value;
    return out;
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, junk]): ByteEdit => (b) => splice(b, at % (b.length + 1), junk.length, junk)),
  fc.tuple(fc.nat(), fc.constantFrom(...INVALID_UTF8)).map(([at, bad]): ByteEdit => (b) => splice(b, at % (b.length + 1), 0, bad)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([at, n]): ByteEdit => (b) => splice(b, at % (b.length + 1), n, [])),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 64 })).map(([at, n]): ByteEdit => (b) => {
    const start = at % (b.length + 1);
    return splice(b, start, 0, b.slice(start, start + n));
  }),
];
const bombEdit = fc.tuple(fc.nat(), nestingBomb).map(([at, bomb]): ByteEdit => (b) => splice(b, at % (b.length + 1), 0, bomb));
const withBombs = fc.oneof(...plainEdits, bombEdit);
const withoutBombs = fc.oneof(...plainEdits);

/**
 * `base` with one to `maxEdits` byte edits applied in turn (a fresh copy every time). Nesting bombs
 * are for JSON; other text (a chat template) is better served by the cheaper edits alone.
 */
export function mutateBytes(base: Uint8Array, maxEdits = 4, bombs = true): fc.Arbitrary<Uint8Array<ArrayBuffer>> {
  return fc.array(bombs ? withBombs : withoutBombs, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    let bytes: Uint8Array = base.slice();
    for (const edit of edits) bytes = edit(bytes);
    return new Uint8Array(bytes);
  });
}

/** Arrays or objects nested `depth` levels around a number. */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/**
 * Values a field should not hold: wrong types, zero and negative numbers, values past 2^31, 2^32
 * and 2^53, non-finite numbers, numbers written as strings ("NaN", "1e400"), empty and nested
 * containers, long strings. Nesting stays under the parsers' depth cap, since no parsed file can
 * hold deeper values (the byte-level nesting bombs test the cap itself).
 */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -0, -1, 0.5, -2.5, 3.0000001, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -1e308,
    Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity,
    '', 'NaN', 'Infinity', '-Infinity', '1e400', '1', '-1', '0x10', 'null', 'true', '\u0663', ' 5 ', '\u0000', '\ud800',
    [], {}, [null], [1, 2], [-1], ['a'], { a: 1 }, { content: 1 }, { type: 'llama3' }, { rope_type: 'llama3', factor: 'x' },
  ),
  fc.integer(),
  fc.double(),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.tuple(fc.integer({ min: 1, max: 120 }), fc.constantFrom('array' as const, 'object' as const)).map(([depth, kind]) => nested(depth, kind)),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)),
);

type Path = Array<string | number>;

function pathsOf(value: unknown, prefix: Path, out: Path[]): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...prefix, i], out));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}

type JsonEdit = { kind: 'replace' | 'delete' | 'add'; path: Path; key: string; value: unknown };

function isContainer(value: unknown): value is Record<string | number, unknown> {
  return typeof value === 'object' && value !== null;
}

function at(root: unknown, path: Path): unknown {
  let node = root;
  for (const step of path) node = isContainer(node) ? node[step] : undefined;
  return node;
}

/** Sets an own property even for keys such as `__proto__`, as JSON.parse does. */
function put(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function applyEdit(root: unknown, edit: JsonEdit): unknown {
  if (edit.kind === 'add') {
    const target = at(root, edit.path);
    if (Array.isArray(target)) {
      target.push(edit.value);
      return root;
    }
    if (isContainer(target)) {
      put(target, edit.key, edit.value);
      return root;
    }
    // A leaf cannot take a new member: replace it instead.
  }
  if (edit.path.length === 0) return edit.kind === 'delete' ? undefined : edit.value;
  const parent = at(root, edit.path.slice(0, -1));
  if (!isContainer(parent)) return root;
  const last = edit.path[edit.path.length - 1];
  if (edit.kind !== 'delete') put(parent, last, edit.value);
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return root;
}

/**
 * `base` (a parsed JSON document) with one to `maxEdits` edits. Half the paths are drawn from the
 * top two levels, where the fields that matter live, so large files (a tokenizer's vocabulary) do not
 * drown them out.
 */
export function mutateJson(base: unknown, maxEdits = 3): fc.Arbitrary<unknown> {
  const all = pathsOf(base, [], []);
  const shallow = all.filter((p) => p.length <= 2);
  const path = fc.oneof(fc.constantFrom(...shallow), fc.constantFrom(...all));
  const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'type', 'model', 'vocab', 'dtype', 'shape', 'data_offsets', ''), fc.string({ maxLength: 8 }));
  const edit = fc.record({ kind: fc.constantFrom('replace' as const, 'delete' as const, 'add' as const), path, key, value: nastyValue });
  return fc.array(edit, { minLength: 1, maxLength: maxEdits }).map((edits) => {
    // Paths come from the original; after an earlier edit removed one, applyEdit leaves the document
    // as it is. Values are copied in, so a later edit never alters a constant shared between runs.
    let doc = structuredClone(base);
    for (const e of edits) doc = applyEdit(doc, { ...e, value: structuredClone(e.value) });
    return doc;
  });
}

/** Serialises a JSON value as a file's bytes (undefined, from a deleted root, becomes an empty file). */
export function toBytes(value: unknown): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(value) ?? '');
}
