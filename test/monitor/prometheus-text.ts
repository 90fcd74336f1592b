/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: every sample
 * must belong to a family declared by `# HELP` and `# TYPE` before it, names and labels must be
 * valid, label values correctly escaped, values numbers. Throws on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  // As Prometheus parses values (Go's ParseFloat): NaN and Inf in any letter case.
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    while (text[j] !== '"') {
      if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
      if (text[j] === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape \\${next}`);
        j += 2;
      } else value += text[j++];
    }
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected , between labels`);
  }
  return labels;
}

/** Parse `text` into families by name. */
export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the text must end with a newline');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    const help = /^# HELP (\S+) (.*)$/.exec(raw);
    if (help) {
      const name = help[1]!;
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (families.has(name)) throw new Error(`line ${line}: family ${name} declared twice`);
      current = { name, help: help[2]!, type: '', samples: [] };
      families.set(name, current);
      return;
    }
    const type = /^# TYPE (\S+) (\S+)$/.exec(raw);
    if (type) {
      if (current === undefined || current.name !== type[1]) {
        throw new Error(`line ${line}: TYPE of ${type[1]} without its HELP`);
      }
      if (!TYPES.has(type[2]!)) throw new Error(`line ${line}: unknown type ${type[2]}`);
      current.type = type[2]!;
      return;
    }
    if (raw.startsWith('#')) return;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
    if (!sample) throw new Error(`line ${line}: not a sample: ${raw}`);
    const name = sample[1]!;
    if (!current?.type) throw new Error(`line ${line}: sample ${name} before any TYPE`);
    const suffixes =
      current.type === 'histogram'
        ? ['_bucket', '_sum', '_count']
        : current.type === 'summary'
          ? ['', '_sum', '_count']
          : [''];
    if (!suffixes.some((s) => name === current!.name + s)) {
      throw new Error(`line ${line}: sample ${name} does not belong to family ${current.name}`);
    }
    current.samples.push({
      name,
      labels: parseLabels(sample[2] ?? '', line),
      value: parseValue(sample[3]!, line),
    });
  });
  return families;
}

/** The value of the sample `name` with exactly `labels` (undefined if absent). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k]))
        return s.value;
    }
  }
  return undefined;
}
