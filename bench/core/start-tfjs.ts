// Starts TensorFlow.js on our device, or says precisely why it could not.

import { version_core } from '@tensorflow/tfjs-core';
import type { Gpu } from '../../src/gpu/gpu';
import { describeError } from './timing';
import { createTfSide, type TfSide } from './tfjs';

export async function startTfjs(gpu: Gpu): Promise<{ side: TfSide; version: string } | { error: string; version: string }> {
  try {
    return { side: await createTfSide(gpu), version: version_core };
  } catch (error) {
    return { error: describeError(error), version: version_core };
  }
}
