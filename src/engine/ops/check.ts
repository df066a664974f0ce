// Shape checks shared by kernel wrappers: a wrong size is a bug in the caller, reported before the
// GPU sees it, with the operand named.

export function requireFloats(op: string, operand: string, buffer: GPUBuffer, floats: number): void {
  if (buffer.size < floats * 4) {
    throw new RangeError(
      `${op}: ${operand} ("${buffer.label}") holds ${buffer.size / 4} floats but the shape needs ${floats}`,
    );
  }
}

export function requireDims(op: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${op}: ${name} must be a positive integer, got ${value}`);
  }
}
