// The models that ship with the app (public/models/<name>/), the default first. An adapter trained
// on one names it as its base model; the app's model panel downloads it as a folder of that name.

export const BUILT_IN_MODELS = [
  { name: 'gora-tiny', description: 'a Llama-family language model' },
  { name: 'gora-tiny-t5', description: 'a T5 (encoder and decoder), for text-to-text data such as the T5 sentiment sample' },
] as const;

export const isBuiltInModel = (name: string): boolean => BUILT_IN_MODELS.some((m) => m.name === name);
