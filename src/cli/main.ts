// The headless entry point: `npm run -s gora -- <command>`.

import { acquireNodeGpu } from '../gpu/node';
import { GpuError } from '../gpu/errors';
import { ModelFormatError } from '../model/errors';
import { UsageError } from './errors';
import { logitsCommand } from './logits';
import { finetuneCommand } from './finetune';
import { evalCommand } from './eval';
import { mergeCommand } from './merge';
import { generateCommand } from './generate';
import { compareCommand } from './compare';
import { METHOD_NAMES } from '../compare/methods';
import { finetuneOnlyFlags, resumableFlags, settingsHelp, usageFlags } from './setting-flags';
import { DATA_SETTINGS } from '../train/settings';
import { DataError } from '../data/errors';
import { JobStopped, NumericalFault } from '../train/job';

const USAGE = `usage: npm run -s gora -- <command> [flags]

Without --model and --data, finetune, compare and eval use the built-in model
(public/models/gora-tiny) and the sentiment sample (public/datasets/sentiment.jsonl).

commands:
  info                                   the GPU adapter, its features and limits, as JSON
  logits --model DIR --text "..." --out FILE.safetensors [--weights FORMAT] [--target "..."]
                                         run a model on a text; write input_ids and logits (T5:
                                         --target too, and decoder_input_ids)
  finetune [--model DIR] [--data FILE] --out DIR [training settings] [data flags]
           [--save-init --save-scan --gpu-memory SIZE]
                                         fine-tune an adapter; write it in PEFT's format,
                                         gora_report.json and data_manifest.json (with
                                         --method full, the trained model folder instead).
                                         While it trains, --out holds checkpoint.safetensors +
                                         checkpoint.json (see --checkpoint-every) until the run
                                         finishes; Ctrl-C stops after the current step with a
                                         checkpoint. The GPU memory estimate is printed first;
                                         when a micro-batch of --batch-size rows exceeds the
                                         GPU's limits or --gpu-memory (e.g. 6GiB), it is cut into
                                         smaller ones with gradient accumulation.
                                         --save-init: also write the initial adapter, its PEFT
                                         config and continue_training.py (the run continued
                                         with transformers, PEFT and accelerate); --save-scan:
                                         the scan's gradients
  finetune --resume DIR [--out DIR] [--model DIR] [--data FILE]
           [${resumableFlags().join(' ')}]
                                         continue the unfinished run whose --out was DIR from its
                                         checkpoint (no new scan), with its settings: flags that
                                         change the training are refused; the model and data are
                                         found where the run had them unless given
  eval [--model DIR] [--adapter RUN_DIR] [--data FILE] [--split val|test|all] [--weights FORMAT]
       [${usageFlags(DATA_SETTINGS)}] [data flags]
                                         one JSON line: loss, accuracy, examples (on the
                                         weights format the adapter was trained on)
  generate --model DIR [--adapter RUN_DIR] --prompt TEXT [--chat] [--max-new-tokens N]
           [--temperature T --top-k K --top-p P --seed S] [--json]
                                         the model's continuation of the prompt (T5: its output),
                                         streamed; greedy at temperature 0 (the default), else
                                         sampled; --chat: the prompt as a user message in the
                                         model's chat template. --json: a last line with prompt_ids,
                                         generated_ids and text
  merge --model DIR --adapter RUN_DIR --out DIR [--dtype bf16|f16|f32]
                                         the model with the run's adapter merged into its
                                         weights, as a complete model folder (config, safetensors
                                         sharded above 2 GB, tokenizer files) in the checkpoint's
                                         dtype unless --dtype; loads without PEFT
  compare --methods ${METHOD_NAMES.join(',')} [--seeds N] [--out DIR] [--json]
          [--model DIR] [--data FILE] [training settings but ${finetuneOnlyFlags().join(' ')}] [data flags]
                                         every method × seed one after another on the same data,
                                         seeds (--seed, --seed + 1, …) and budget (--rank: r_ref
                                         for GoRA, the rank of the others); each method's own
                                         learning rate unless --lr gives one for all (--lr 3e-4)
                                         or for some (--lr gora=3e-4,lora=2e-3). Prints the table: per
                                         method mean ± sd over seeds of validation loss and
                                         accuracy, trainable parameters, train time, peak GPU
                                         memory, ranks. --out DIR writes compare.json (every run,
                                         with its loss curves) and compare.csv; --json prints the
                                         whole comparison as one JSON line at the end
  compare --merge DIR,DIR,… [--out DIR] [--json]
                                         one table of the comparisons those --out folders hold,
                                         of the same settings on other seeds

training settings (a method's own default where it differs by method):
${settingsHelp()}

data flags:
  --format jsonl|csv|tsv|text   the data file's format (default: from its extension)
  --prompt-column NAME          the prompt's column (default prompt)
  --completion-column NAME      the completion's column (default completion)
  --text-column NAME            train on one text column instead of prompt and completion
  --packing                     pack the examples end to end into rows of --seq-len tokens`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info': {
      const gpu = await acquireNodeGpu();
      console.log(JSON.stringify(gpu.info, null, 2));
      gpu.destroy();
      return;
    }
    case 'logits':
      return logitsCommand(rest);
    case 'finetune':
      return finetuneCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'generate':
      return generateCommand(rest);
    case 'merge':
      return mergeCommand(rest);
    case 'compare':
      return compareCommand(rest);
    case 'help':
    case '--help':
      console.log(USAGE);
      return;
    case undefined:
      throw new UsageError(`no command given\n\n${USAGE}`);
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/**
 * Bad input and a missing GPU end with one clear line and exit code 2; a stop asked for with Ctrl-C
 * with 130 (the shell's code for SIGINT); a lost device, GPU memory running out and a NaN loss with
 * one line and 1; anything else is a bug (1, with its stack).
 */
function exitCode(error: unknown): number {
  if (error instanceof JobStopped) return 130;
  if (error instanceof UsageError || error instanceof ModelFormatError || error instanceof DataError) return 2;
  if (error instanceof GpuError && error.kind === 'unavailable') return 2;
  if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const code = exitCode(error);
    // Known failures are one line; anything else keeps its stack for a bug report.
    const known = code === 2 || code === 130 || error instanceof GpuError || error instanceof NumericalFault || error instanceof RangeError;
    console.error(known ? `gora: ${(error as Error).message}` : error);
    process.exit(code);
  },
);
