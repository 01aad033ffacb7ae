// Typed errors. Every failure the exporter reports carries the facts an operator needs
// (which file, which command, which key) in its message.

/** Base class of every error the exporter raises on purpose. */
export class ExporterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false });
  }
}

/** Text that does not have the expected shape. `source` names the file or command it came from. */
export class ParseError extends ExporterError {
  readonly source: string;
  constructor(source: string, detail: string) {
    super(`${source}: ${detail}`);
    this.source = source;
  }
}

/**
 * A host file that could not be read (missing, permission denied, not a regular file, too large, too slow).
 * `path` is the path opened; the scraper reports the message as the host sees it (host/paths.ts hostMessage).
 */
export class FileReadError extends ExporterError {
  readonly path: string;
  readonly code: string | undefined;
  constructor(path: string, reason: string, code?: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    this.code = code;
  }
}

/** A bad setting in the config file or on the command line. */
export class ConfigError extends ExporterError {}

/** True for the "file does not exist" family of read errors. */
export function isNotFound(err: unknown): boolean {
  return err instanceof FileReadError && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

/** A short, single-line description of any thrown value, for logs and metrics. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/\s+/g, ' ').trim();
  return String(err);
}

/** A place in a host file: its line and, when the caller knows it is one of its own key names, the key. */
export interface FilePlace {
  readonly line?: number;
  readonly key?: string;
}

/** "line <n>: key <k>: <problem>", from the place only. */
function placed(at: FilePlace, problem: string): string {
  return [at.line === undefined ? undefined : `line ${at.line}`, at.key === undefined ? undefined : `key ${at.key}`, problem].filter((p) => p !== undefined).join(': ');
}

/** "<file>: line <n>: key <k>: <problem>": a problem in a host file, told without its content (see FileContentError). */
export function fileProblem(source: string, at: FilePlace, problem: string): string {
  return `${source}: ${placed(at, problem)}`;
}

/**
 * A host file that does not have the expected shape, described without its content: a repository
 * definition or a config file may hold an access token, or be a symbolic link to /etc/shadow or
 * /proc/self/environ, so the message is made of the file, the line, a key name the parser knows
 * and a fixed problem text, never of what the file holds.
 */
export class FileContentError extends ParseError {
  readonly line: number | undefined;
  readonly key: string | undefined;
  constructor(source: string, at: FilePlace, problem: string) {
    super(source, placed(at, problem));
    this.line = at.line;
    this.key = at.key;
  }
}
