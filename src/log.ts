// Structured logs on stderr, as logfmt (the Prometheus default) or JSON.
// log.info('msg', { key: value }) → ts=... level=info msg=msg key=value
//
// The log never costs the service: when stderr is a pipe whose reader is slower than the
// exporter (journald under load, a stuck container runtime), at most MAX_QUEUED_BYTES wait in
// memory; further lines are dropped and counted, and one line says how many once the reader has
// caught up. A reader that went away (EPIPE) ends logging, never the process.
//
// Nor can a repeated cause flood it: the exporter's logger (main.ts) writes the same line (level,
// message and fields) at most once per REPEAT_INTERVAL_MS; the next time it is written, a field
// `suppressed=N` says how many were left out meanwhile. Lines about different causes (another
// file, collector or error) differ in their fields and stay separate.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export const LOG_FORMATS: readonly LogFormat[] = ['logfmt', 'json'];

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

type Sink = (line: string) => void;

/** Log bytes that may wait for a slow reader before lines are dropped. */
const MAX_QUEUED_BYTES = 1024 * 1024;

/** The same line is written at most once per this interval. */
export const REPEAT_INTERVAL_MS = 60_000;
/** Distinct lines remembered for that: beyond, the longest unrepeated are forgotten (bounded memory). */
const MAX_REMEMBERED_LINES = 4096;

export interface LoggerOptions {
  /** Write the same line at most once per this many ms (REPEAT_INTERVAL_MS for the exporter); 0 or absent: every line. */
  readonly repeatIntervalMs?: number;
  /** Monotonic milliseconds (tests). */
  readonly now?: () => number;
}

export function createLogger(level: LogLevel, format: LogFormat, sink: Sink = streamSink(process.stderr, format), options: LoggerOptions = {}): Logger {
  const interval = options.repeatIntervalMs ?? 0;
  const repeats = interval > 0 ? new RepeatLimiter(options.now ?? (() => performance.now()), interval, MAX_REMEMBERED_LINES) : undefined;
  return make(level, format, sink, {}, repeats);
}

/**
 * When each distinct line was last written and how many times it was left out since. Entries are
 * kept in the order they were last written (a Map keeps insertion order), so the oldest are first.
 */
class RepeatLimiter {
  private readonly lines = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
    private readonly max: number,
  ) {}

  /** undefined: leave the line out; else write it, saying how many were left out before it. */
  admit(key: string): number | undefined {
    const at = this.now();
    const last = this.lines.get(key);
    if (last && at - last.at < this.intervalMs && at >= last.at) {
      last.suppressed++;
      return undefined;
    }
    this.lines.delete(key);
    this.lines.set(key, { at, suppressed: 0 });
    // Forget lines not written for an interval that left nothing out, then the oldest beyond the bound.
    for (const [k, v] of this.lines) {
      if (this.lines.size <= this.max && (at - v.at < this.intervalMs || v.suppressed > 0)) break;
      if (k !== key) this.lines.delete(k);
      else break;
    }
    return last?.suppressed ?? 0;
  }
}

/**
 * A sink that writes to `stream` without ever queueing more than `maxQueuedBytes`: beyond that,
 * lines are dropped and counted until the stream drains, then one warning says how many. Write
 * errors (EPIPE when the reader exited) stop the sink instead of throwing.
 */
export function streamSink(stream: NodeJS.WritableStream & { writableLength: number; destroyed: boolean }, format: LogFormat, maxQueuedBytes = MAX_QUEUED_BYTES): Sink {
  let dropped = 0;
  let waiting = false;
  let broken = false;
  stream.on('error', () => {
    broken = true;
  });
  const onDrain = () => {
    waiting = false;
    if (dropped === 0 || broken) return;
    const fields: LogFields = { ts: new Date().toISOString(), level: 'warn', msg: 'log lines dropped: the log reader was slower than the exporter', dropped };
    dropped = 0;
    write(formatLine(format, fields));
  };
  const write = (line: string) => {
    try {
      stream.write(line);
    } catch {
      broken = true;
    }
  };
  return (line) => {
    if (broken || stream.destroyed) return;
    if (stream.writableLength + line.length > maxQueuedBytes) {
      dropped++;
      if (!waiting) {
        waiting = true;
        stream.once('drain', onDrain);
      }
      return;
    }
    write(line);
  };
}

function formatLine(format: LogFormat, fields: LogFields): string {
  return format === 'json' ? `${JSON.stringify(fields)}\n` : `${logfmt(fields)}\n`;
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger('error', 'logfmt', () => undefined);

function make(level: LogLevel, format: LogFormat, sink: Sink, base: LogFields, repeats: RepeatLimiter | undefined): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const rest: LogFields = { level: lvl, msg, ...base, ...fields };
    const suppressed = repeats ? repeats.admit(JSON.stringify(rest)) : 0;
    if (suppressed === undefined) return;
    const all: LogFields = { ts: new Date().toISOString(), ...rest, ...(suppressed > 0 ? { suppressed } : {}) };
    sink(formatLine(format, all));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => make(level, format, sink, { ...base, ...fields }, repeats),
  };
}

function logfmt(fields: LogFields): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${quote(String(v))}`)
    .join(' ');
}

function quote(v: string): string {
  // Control characters are what must be quoted: the regex names them on purpose.
  // eslint-disable-next-line no-control-regex
  if (v !== '' && /^[^\s"=\\\x00-\x1f]+$/.test(v)) return v;
  return JSON.stringify(v);
}
