// Structured logs on stderr, as logfmt (the Prometheus default) or JSON.
// log.info('msg', { key: value }) → ts=... level=info msg=msg key=value

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

export function createLogger(level: LogLevel, format: LogFormat, sink: Sink = (l) => process.stderr.write(l)): Logger {
  return make(level, format, sink, {});
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger('error', 'logfmt', () => undefined);

function make(level: LogLevel, format: LogFormat, sink: Sink, base: LogFields): Logger {
  const min = LOG_LEVELS.indexOf(level);
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const all: LogFields = { ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    sink(format === 'json' ? `${JSON.stringify(all)}\n` : `${logfmt(all)}\n`);
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
