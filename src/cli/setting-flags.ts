// The training settings as command-line flags, all read from the settings table
// (src/train/settings.ts): which flags finetune and compare take, how a flag's text becomes a
// setting, which flags a resume may change, and their help.

import { settingProblem, SettingError, type JobConfig } from '../train/config';
import { DEFAULT_METHOD, isPerMethod, kindText, SETTING_ROWS, SETTINGS, settingRow, type SettingKey, type SettingRow } from '../train/settings';
import { METHOD_IDS, type Method } from '../train/methods';
import { UsageError } from './errors';

export type SettingCommand = 'finetune' | 'compare';

/** The rows whose flag a command takes, in the table's order. */
export function flagRows(command: SettingCommand): SettingRow[] {
  return SETTING_ROWS.filter((r) => r.flag !== null && (command === 'finetune' || r.compare));
}

/** node:util parseArgs options for a command's setting flags (or for the given settings). */
export function settingOptions(rows: readonly SettingRow[]): Record<string, { type: 'string' } | { type: 'boolean' }> {
  return Object.fromEntries(rows.map((r) => [r.flag!, r.kind.type === 'boolean' ? { type: 'boolean' as const } : { type: 'string' as const }]));
}

/** How a setting is given on the command line: `--steps`, or `--gamma auto` for a switch set by a word. */
export function flagText(key: SettingKey): string {
  const flag = SETTINGS[key].flag;
  if (flag !== null) return `--${flag}`;
  const via = SETTING_ROWS.find((r) => r.auto === key);
  return via ? `--${via.flag} auto` : key;
}

/** A setting refused by checkConfig as a usage error that names the flag before the shared message. */
export function flagError(error: unknown): unknown {
  return error instanceof SettingError ? new UsageError(`${flagText(error.key)}: ${error.message}`) : error;
}

/**
 * The settings one flag gives, or null when it is absent: `--gamma auto` switches adaptive γ on, and
 * a number for γ switches it off. The text must have the row's kind; its range is checkConfig's.
 */
export function readFlag(values: Record<string, unknown>, row: SettingRow): Partial<JobConfig> | null {
  const raw = values[row.flag!];
  if (raw === undefined) return null;
  if (row.auto && raw === 'auto') return { [row.auto]: true };
  const refuse = () => new UsageError(`--${row.flag}: ${row.label} must be ${kindText(row.kind)}${row.auto ? ' or auto' : ''}, got "${String(raw)}"`);
  let value: unknown;
  switch (row.kind.type) {
    case 'boolean':
      value = raw;
      break;
    case 'choice':
      if (!row.kind.choices.includes(raw as string)) throw refuse();
      value = raw;
      break;
    case 'integer':
    case 'number':
      value = Number(raw);
      if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) throw refuse();
  }
  return { [row.key]: value, ...(row.auto ? { [row.auto]: false } : {}) } as Partial<JobConfig>;
}

/** `base` with every setting flag of `rows` that was given. */
export function applyFlags(values: Record<string, unknown>, rows: readonly SettingRow[], base: JobConfig): JobConfig {
  return rows.reduce((config, row) => ({ ...config, ...readFlag(values, row) }), base);
}

/** The method flag (the table's default when absent), which picks every other default. */
export function methodFlag(values: Record<string, unknown>): Method {
  return readFlag(values, settingRow('method'))?.method ?? DEFAULT_METHOD;
}

/** One setting's flag, checked on its own (for commands that take a few settings, such as eval). */
export function settingFlag<K extends SettingKey>(values: Record<string, unknown>, key: K, config: JobConfig): JobConfig[K] {
  const given = readFlag(values, settingRow(key));
  if (!given) return config[key];
  const value = given[key] as JobConfig[K];
  const problem = settingProblem(key, value, config);
  if (problem) throw new UsageError(`${flagText(key)}: ${problem}`);
  return value;
}

/**
 * A resumed run's settings: the checkpoint's, with the resumable ones the flags give; a flag that
 * would change any other must repeat the checkpoint's value, or `refuse` says why not.
 */
export function resumeFlags(values: Record<string, unknown>, saved: JobConfig, refuse: (flag: string, given: string, was: string) => Error): JobConfig {
  let config = { ...saved };
  for (const row of flagRows('finetune')) {
    const given = readFlag(values, row);
    if (!given) continue;
    if (row.resumable) config = { ...config, ...given };
    else if (Object.entries(given).some(([k, v]) => !Object.is(v, saved[k as SettingKey]))) throw refuse(row.flag!, shown(row, { ...saved, ...given }), shown(row, saved));
  }
  return config;
}

/** A flag's value as it would be typed: `auto` where the word sets its switch. */
function shown(row: SettingRow, config: JobConfig): string {
  return row.auto && config[row.auto] ? 'auto' : String(config[row.key]);
}

const HELP_WIDTH = 100;
const HELP_COLUMN = 30;

/**
 * The help for every setting flag: the flag and what it takes, its help, and its default (per
 * method where it depends on the method).
 */
export function settingsHelp(): string {
  return flagRows('finetune')
    .map((row) => {
      const head = `  --${row.flag}${valueHint(row)}`;
      // The default in brackets is kept whole on one line.
      const words = [...row.help.split(' '), `(${defaultText(row)}${row.note ? `; ${row.note}` : ''})`];
      const lines = wrap(words, HELP_WIDTH - HELP_COLUMN);
      const first = head.length < HELP_COLUMN - 1 ? `${head.padEnd(HELP_COLUMN)}${lines.shift()}` : head;
      return [first, ...lines.map((l) => ' '.repeat(HELP_COLUMN) + l)].join('\n');
    })
    .join('\n');
}

/** The flags of the settings a resume may change, for the usage line of `finetune --resume`. */
export function resumableFlags(): string[] {
  return flagRows('finetune').filter((r) => r.resumable).map((r) => `--${r.flag}`);
}

/** Flags with what they take, for a usage line: `--seq-len N --val-fraction X`. */
export function usageFlags(keys: readonly SettingKey[]): string {
  return keys.map((key) => `--${SETTINGS[key].flag}${valueHint(settingRow(key))}`).join(' ');
}

/** The finetune flags that compare does not take. */
export function finetuneOnlyFlags(): string[] {
  return flagRows('finetune').filter((r) => !r.compare).map((r) => `--${r.flag}`);
}

function valueHint(row: SettingRow): string {
  const kind = row.kind;
  switch (kind.type) {
    case 'boolean':
      return '';
    case 'choice':
      return ` ${kind.choices.join('|')}`;
    case 'integer':
      return ' N';
    case 'number':
      return row.auto ? ' X|auto' : ' X';
  }
}

function defaultText(row: SettingRow): string {
  const d = row.default;
  if (d === null) return `default: ${row.kind.type === 'choice' ? row.kind.none : 'none'}`;
  if (!isPerMethod(d)) return `default ${String(d)}`;
  // The value most methods share first, then each method that differs.
  const values = METHOD_IDS.map((m) => d.byMethod[m]);
  const common = values.find((v) => values.filter((x) => x === v).length * 2 > values.length) ?? values[0];
  const others = METHOD_IDS.filter((m) => d.byMethod[m] !== common).map((m) => `${m} ${String(d.byMethod[m])}`);
  return `default ${String(common)}${others.length ? `; ${others.join(', ')}` : ''}`;
}

function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}
