// Bounded, non-blocking reads of host files.
//
// sysfs and procfs report meaningless sizes (0 or 4096), so we never trust stat sizes; we read
// until end of file or until the limit. Files are opened with O_NONBLOCK and must be regular
// files, so a FIFO, a device or a directory put where a file should be cannot hang or flood a scrape.
//
// The calls are synchronous on purpose. A scrape reads a few dozen tiny procfs and sysfs
// attributes (values the kernel keeps in memory) and stats the RPM database: as asynchronous
// calls each open, fstat, read and close was a round trip through libuv's thread pool, and those
// round trips, not the reads, were most of a scrape's latency (docs/benchmarks.md). What could
// block for long (the commands) runs asynchronously with a deadline (host/exec.ts).

import * as fs from 'node:fs';
import { constants } from 'node:fs';
import { FileReadError } from '../errors.js';

/** Default cap for small kernel files (sysfs attributes, /proc values, os-release). */
export const SMALL_FILE_LIMIT = 64 * 1024;

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a parent is not a directory)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many levels of symbolic links',
};

/** The reason of a failed file system call in words ("no such file"), not the code ("ENOENT"). */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
}

/** A FileReadError naming the path and the reason of a failed file system call. */
export function fileError(path: string, err: unknown): FileReadError {
  return new FileReadError(path, fileErrorReason(err), (err as NodeJS.ErrnoException)?.code);
}

/** Directories and other non-regular files (FIFOs, devices) are an error naming what they are. */
export function requireRegularFile(path: string, st: fs.Stats): void {
  if (st.isDirectory()) throw new FileReadError(path, REASONS.EISDIR!, 'EISDIR');
  if (!st.isFile()) throw new FileReadError(path, 'not a regular file', 'EINVAL');
}

/**
 * The buffer every read goes through. The reads are synchronous, so no two use it at once; a
 * fresh 64 KiB buffer per file made a scrape of thousands of sysfs attributes mostly garbage
 * collection (each is outside Node's small-buffer pool).
 */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** Read a whole regular file as UTF-8, at most `limit` bytes; larger files are an error. */
export function readHostFile(path: string, limit = SMALL_FILE_LIMIT): string {
  let fd: number;
  try {
    fd = fs.openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const st = fs.fstatSync(fd);
    requireRegularFile(path, st);
    const chunks: Buffer[] = [];
    let total = 0;
    const size = Math.min(limit + 1, scratch.length);
    for (;;) {
      const bytesRead = fs.readSync(fd, scratch, 0, size, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw new FileReadError(path, `larger than ${limit} bytes`, 'EFBIG');
      chunks.push(Buffer.from(scratch.subarray(0, bytesRead)));
    }
    return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    throw err instanceof FileReadError ? err : fileError(path, err);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // nothing to do: the descriptor is gone either way
    }
  }
}

/** Like readHostFile, but a missing file gives undefined instead of an error. */
export function readOptionalHostFile(path: string, limit = SMALL_FILE_LIMIT): string | undefined {
  try {
    return readHostFile(path, limit);
  } catch (err) {
    if (err instanceof FileReadError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** Names of the subdirectories of a directory (symlinks are not followed); missing → undefined. */
export function listSubdirectories(path: string): string[] | undefined {
  return listSubdirectoryNames(path)?.names;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Like listSubdirectories, and the names that are not valid UTF-8 apart (such a name cannot be
 * given back as a string path), printable: bytes outside printable ASCII as \xNN.
 */
export function listSubdirectoryNames(path: string): { names: string[]; undecodable: string[] } | undefined {
  let entries: fs.Dirent<Buffer>[];
  try {
    entries = fs.readdirSync(path, { withFileTypes: true, encoding: 'buffer' });
  } catch (err) {
    const e = fileError(path, err);
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
  const names: string[] = [];
  const undecodable: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    try {
      names.push(STRICT_UTF8.decode(e.name));
    } catch {
      undecodable.push(escapeBytes(e.name));
    }
  }
  return { names: names.sort(), undecodable: undecodable.sort() };
}

/** Printable ASCII as is, every other byte as \xNN. */
function escapeBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** A directory's entry names, and which are subdirectories (symlinks are not followed); missing → undefined. */
export function listDirectory(path: string): { names: Set<string>; dirs: string[] } | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path, { withFileTypes: true });
  } catch (err) {
    const e = fileError(path, err);
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  }
  const names = new Set<string>();
  const dirs: string[] = [];
  for (const e of entries) {
    names.add(e.name);
    if (e.isDirectory()) dirs.push(e.name);
  }
  return { names, dirs: dirs.sort() };
}

/** Names in a directory, sorted; missing or unreadable → undefined. */
export function listNames(path: string): string[] | undefined {
  try {
    return fs.readdirSync(path).sort();
  } catch {
    return undefined;
  }
}

/** Whether a path is a directory (symlinks followed); false when it does not exist. */
export function isDirectory(path: string): boolean {
  try {
    return fs.statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** Modification time and size of a path, or undefined when it does not exist. */
export function statStamp(path: string): string | undefined {
  try {
    const st = fs.statSync(path, { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.size}:${st.ino}` : undefined;
  } catch {
    return undefined;
  }
}
