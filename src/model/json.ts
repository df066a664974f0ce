// A nesting cap for JSON from untrusted files (safetensors headers, config.json, tokenizer.json,
// datasets), checked on the text before JSON.parse. The parser itself copes with any depth, but
// a 100 MB run of `[` costs it seconds and gigabytes, and every recursive consumer of the parsed
// value (JSON.stringify in an error message, the tokenizer's component builders) overflows the
// stack far earlier. The model files and datasets this app reads nest only a few levels deep.

export const MAX_JSON_DEPTH = 256;

/**
 * The offset of the first `[` or `{` nested deeper than `maxDepth`, or -1 when there is none.
 * Brackets inside strings do not count. The scan stops at that bracket, so a nesting bomb is
 * refused after reading `maxDepth` characters of it; malformed text is left to JSON.parse.
 */
export function jsonTooDeepAt(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: a backslash escapes the next character, whatever it is.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}
