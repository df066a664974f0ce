// Every problem with a model's files (safetensors, config.json, weights, tokenizer) ends in one error
// type, whose message names the file and the tensor or field at fault, so a user can act on it.

export class ModelFormatError extends Error {
  constructor(
    /** The file at fault, e.g. `model-00001-of-00002.safetensors` or `config.json`. */
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ModelFormatError';
  }
}
