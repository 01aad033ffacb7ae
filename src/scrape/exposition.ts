// A minimal metrics builder for the exporter's own families, writing the Prometheus text format
// exactly as prom-client's Registry#metrics() does (same order, escaping and number format), but
// without prom-client's per-metric objects, label hashing and promises: a scrape builds a fresh
// set of families every time (series of patches that went away must disappear), and with
// prom-client that was most of the cost of a scrape. test/exposition.test.ts checks that both
// write the same text.

type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

/** A gauge or counter: samples in the order their label sets were first set. */
export class Family {
  private readonly samples = new Map<string, Sample>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    readonly labelNames: readonly string[],
  ) {
    // prom-client starts an unlabelled metric at 0.
    if (labelNames.length === 0) this.samples.set('', { labels: {}, value: 0 });
  }

  private key(labels: Labels): string {
    let key = '';
    for (const name of Object.keys(labels)) {
      if (!this.labelNames.includes(name)) throw new Error(`Added label "${name}" is not included in initial labelset: ${JSON.stringify(this.labelNames)}`);
    }
    for (const name of this.labelNames) if (labels[name] !== undefined) key += `${name}:${labels[name]},`;
    return key;
  }

  /** Gauge: set the value of a label set. */
  set(labels: Labels, value: number): void {
    const key = this.key(labels);
    const v = typeof value === 'number' ? value : 0;
    const s = this.samples.get(key);
    if (s) {
      s.labels = labels;
      s.value = v;
    } else this.samples.set(key, { labels, value: v });
  }

  /** Counter: add to the value of a label set. */
  inc(labels: Labels, value = 1): void {
    if (!Number.isFinite(value) || value < 0) throw new Error(`It is not possible to decrease a counter: ${value}`);
    const key = this.key(labels);
    const s = this.samples.get(key);
    if (s) s.value += value;
    else this.samples.set(key, { labels, value });
  }

  text(): string {
    const name = escape(this.name);
    let out = `# HELP ${name} ${escape(this.help)}\n# TYPE ${name} ${this.type}`;
    for (const { labels, value } of this.samples.values()) {
      let ls = '';
      for (const [k, v] of Object.entries(labels)) ls += `${ls ? ',' : ''}${k}="${escape(v).replace(/"/g, '\\"')}"`;
      out += `\n${name}${ls ? `{${ls}}` : ''} ${valueText(value)}`;
    }
    return out;
  }
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  private add(name: string, help: string, type: 'gauge' | 'counter', labelNames: readonly string[]): Family {
    if (this.families.has(name)) throw new Error(`A metric with the name ${name} has already been registered.`);
    const f = new Family(name, help, type, labelNames);
    this.families.set(name, f);
    return f;
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Family {
    return this.add(name, help, 'gauge', labelNames);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Family {
    return this.add(name, help, 'counter', labelNames);
  }

  /** The text format (version 0.0.4): families separated by a blank line. */
  text(): string {
    return `${[...this.families.values()].map((f) => f.text()).join('\n\n')}\n`;
  }
}

function escape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return 'Nan';
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf';
  return `${v}`;
}
