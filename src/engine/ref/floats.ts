/**
 * CPU reference code works on either precision: Float32Array to mirror the GPU, Float64Array for
 * finite-difference checks of backward passes (where f32 rounding would drown the signal).
 */
export type Floats = Float32Array | Float64Array;
