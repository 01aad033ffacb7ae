// Typed errors. Every failure the exporter reports carries the facts an operator needs
// (which file, which command, which key) in its message.

import { shownPath } from './host/paths.js';

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
 * `path` is the path opened; the message names the file as the host sees it (host/paths.ts shownPath).
 */
export class FileReadError extends ExporterError {
  readonly path: string;
  readonly code: string | undefined;
  constructor(path: string, reason: string, code?: string) {
    super(`${shownPath(path)}: ${reason}`);
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
