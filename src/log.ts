// Structured logs on stderr, as logfmt (the Prometheus default) or JSON.
// log.info('msg', { key: value }) → ts=... level=info msg=msg key=value
//
// The log never costs the service: when stderr is a pipe whose reader is slower than the
// exporter (journald under load, a stuck container runtime), at most MAX_QUEUED_BYTES wait in
// memory; further lines are dropped and counted, and one line says how many once the reader has
// caught up. A reader that went away (EPIPE) ends logging, never the process.

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

export function createLogger(level: LogLevel, format: LogFormat, sink: Sink = streamSink(process.stderr, format)): Logger {
  return make(level, format, sink, {});
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

function make(level: LogLevel, format: LogFormat, sink: Sink, base: LogFields): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const all: LogFields = { ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    sink(formatLine(format, all));
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => make(level, format, sink, { ...base, ...fields }),
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
