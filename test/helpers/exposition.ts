// A small strict reader of the Prometheus text exposition format (what prom-client writes):
// samples by series, for comparing scrapes. Anything it does not understand is an error.

export type Samples = Map<string, number>;

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE})*)?\\})? (\\S+)$`);

/** Parse exposition text into series → value ("name{labels}" as written). Throws on a bad line. */
export function parseExposition(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${JSON.stringify(line.slice(0, 200))}`);
    const value = m[3] === 'NaN' ? NaN : m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value in ${JSON.stringify(line)}`);
    const key = `${m[1]}${m[2] ?? ''}`;
    if (out.has(key)) throw new Error(`duplicate series ${key}`);
    out.set(key, value);
  }
  return out;
}

/** The metric family name of a series key. */
export function familyOf(series: string): string {
  return series.replace(/\{.*$/, '');
}
