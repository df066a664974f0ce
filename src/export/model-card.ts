// README.md for a run's output: a Hugging Face model card (YAML metadata, then Markdown) saying what
// the adapter (or, after full fine-tuning, the model) is — its base model, method, settings, the rank
// of every layer, the data and the scores — and the Python lines that load it.

import type { PreparedDataset } from '../data/prepare';
import type { LinearTarget } from '../model/spec';
import type { JobResult } from '../train/job';
import type { Evaluation } from '../train/events';
import { methodLabel } from '../compare/methods';
import { modulePlaces } from '../model/module-places';
import { isBuiltInModel } from '../model/built-in';

export const MODEL_CARD = 'README.md';

export interface ModelCardInputs {
  result: JobResult;
  targets: readonly LinearTarget[];
  data: PreparedDataset;
  /** adapter_config.json's base_model_name_or_path (src/export/base-model.ts). */
  baseModel: string;
  /** PEFT's task type: a decoder-only model (CAUSAL_LM) or an encoder-decoder one (SEQ_2_SEQ_LM). */
  taskType?: 'CAUSAL_LM' | 'SEQ_2_SEQ_LM';
}

/** A hub id is `owner/name`; anything else is a folder the user has to have. */
const isHubId = (name: string) => /^[\w.-]+\/[\w.-]+$/.test(name);

function scores(label: string, e: Evaluation | null): string | null {
  if (!e || !Number.isFinite(e.loss)) return null;
  const accuracy = e.accuracy === null ? '' : ` · accuracy ${(100 * e.accuracy).toFixed(1)} % of ${e.examples} examples`;
  return `| ${label} | ${e.loss.toFixed(4)}${accuracy} |`;
}

/**
 * The ranks as a table: one row per layer, one column per module kind (`q_proj`, `c_attn`, …), in
 * the order the block uses them.
 */
function rankTable(result: JobResult, targets: readonly LinearTarget[]): string {
  const places = modulePlaces(targets.map((t) => t.module));
  const placed = targets.map((t, i) => ({ t, ...places[i] }));
  const kinds = [...new Set(placed.map((p) => p.module))];
  const layers = [...new Set(placed.map((p) => p.layer))];
  const rank = (layer: string, kind: string) => {
    const target = placed.find((p) => p.module === kind && p.layer === layer)?.t;
    return String(target ? (result.trained.get(target.name)?.rank ?? 0) : '–');
  };
  return [`| layer | ${kinds.join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`, ...layers.map((l) => `| ${l} | ${kinds.map((k) => rank(l, k)).join(' | ')} |`)].join('\n');
}

export function modelCard({ result, targets, data, baseModel, taskType = 'CAUSAL_LM' }: ModelCardInputs): string {
  const [autoClass, pipeline] = taskType === 'SEQ_2_SEQ_LM' ? ['AutoModelForSeq2SeqLM', 'text2text-generation'] : ['AutoModelForCausalLM', 'text-generation'];
  const { config } = result;
  const full = config.method === 'full';
  const where = isHubId(baseModel)
    ? `\`${baseModel}\` on the Hugging Face hub`
    : `the model folder \`${baseModel}\` (not a hub id: put that folder next to your script, or change the name below to where it is${isBuiltInModel(baseModel) ? `; the app downloads ${baseModel} from its model panel` : ''})`;
  const metadata = ['---', `base_model: ${baseModel}`, ...(full ? [] : ['library_name: peft']), `pipeline_tag: ${pipeline}`, 'tags:', `  - ${config.method}`, ...(full ? [] : ['  - lora']), '---'];
  const load = full
    ? [`from transformers import ${autoClass}, AutoTokenizer`, '', `model = ${autoClass}.from_pretrained("path/to/this/folder")`, 'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")']
    : [
        'from peft import PeftModel',
        `from transformers import ${autoClass}, AutoTokenizer`,
        '',
        `base = ${autoClass}.from_pretrained("${baseModel}")`,
        `tokenizer = AutoTokenizer.from_pretrained("${baseModel}")`,
        'model = PeftModel.from_pretrained(base, "path/to/this/folder")',
        '# or, for a model with the adapter merged into its weights:',
        'merged = model.merge_and_unload()',
      ];
  const settings: Array<[string, string]> = [
    ['method', `${methodLabel(config.method)} (\`${config.method}\`)`],
    ['steps', `${config.steps} of ${config.batchSize} rows × ${config.seqLen} tokens`],
    ['learning rate', `${config.lr} (peak)`],
    ...(full ? [] : ([['rank', config.method === 'gora' ? `r_ref ${config.rank}, allocated per layer between ${config.rankMin} and ${config.rankMax}` : String(config.rank)], ['α', String(config.alpha)]] as Array<[string, string]>)),
    ['seed', String(config.seed)],
    ['frozen weights on the GPU', result.weightsFormat],
  ];
  const stats = data.stats;
  const results = [scores('validation', result.final), scores('test', result.test)].filter((line): line is string => line !== null);
  return [
    ...metadata,
    '',
    `# ${methodLabel(config.method)} ${full ? 'fine-tune' : 'adapter'} of ${baseModel}`,
    '',
    full
      ? `Every weight of ${where}, fine-tuned in the browser with GoRA Studio. This folder is a complete model.`
      : `A LoRA adapter in Hugging Face PEFT's format for ${where}, trained in the browser with GoRA Studio.`,
    '',
    '## Load it',
    '',
    '```python',
    ...load,
    '```',
    '',
    '## Training',
    '',
    '| setting | value |',
    '|---|---|',
    ...settings.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `Data: \`${data.file}\`, ${data.train.length} training, ${data.val.length} validation and ${data.test.length} test examples${stats.truncated ? `, ${stats.truncated} truncated` : ''}${data.labels ? `; labels ${data.labels.labels.map((l) => JSON.stringify(l)).join(', ')}` : ''}. \`data_manifest.json\` lists every batch; \`gora_report.json\` holds every number of the run.`,
    '',
    ...(results.length ? ['## Results', '', '| split | loss (nats per token) · accuracy |', '|---|---|', ...results, ''] : []),
    ...(full ? [] : ['## Ranks', '', rankTable(result, targets), '']),
  ].join('\n');
}

/**
 * README.md of a merged model folder: what it is and how to load it without PEFT, then the training,
 * results and ranks sections of the adapter's own card (when the run folder has one).
 */
export function mergedModelCard({ adapterCard, baseModel, taskType = 'CAUSAL_LM', dtype }: { adapterCard: string | null; baseModel: string; taskType?: ModelCardInputs['taskType']; dtype: string }): string {
  const [autoClass, pipeline] = taskType === 'SEQ_2_SEQ_LM' ? ['AutoModelForSeq2SeqLM', 'text2text-generation'] : ['AutoModelForCausalLM', 'text-generation'];
  const from = adapterCard?.indexOf('\n## Training') ?? -1;
  const adapterSections = adapterCard && from >= 0 ? adapterCard.slice(from + 1).trimEnd() : null;
  return [
    '---',
    `base_model: ${baseModel}`,
    `pipeline_tag: ${pipeline}`,
    'tags:',
    '  - gora',
    '  - merged',
    '---',
    '',
    `# ${baseModel} with its adapter merged in`,
    '',
    `${baseModel} with a LoRA adapter trained in the browser with GoRA Studio added into its weights (W + s·B·A in every adapted layer), stored in ${dtype}. This folder is a complete model: it loads without PEFT.`,
    '',
    '## Load it',
    '',
    '```python',
    `from transformers import ${autoClass}, AutoTokenizer`,
    '',
    `model = ${autoClass}.from_pretrained("path/to/this/folder")`,
    'tokenizer = AutoTokenizer.from_pretrained("path/to/this/folder")',
    '```',
    '',
    ...(adapterSections ? [adapterSections, ''] : []),
  ].join('\n');
}
