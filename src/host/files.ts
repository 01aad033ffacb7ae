// Bounded, non-blocking reads of host files.
//
// sysfs and procfs report meaningless sizes (0 or 4096), so we never trust stat sizes; we read
// until end of file or until the limit. Files are opened with O_NONBLOCK and must be regular
// files, so a FIFO, a device or a directory put where a file should be cannot hang or flood a scrape.

import { constants, promises as fs } from 'node:fs';
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

function fail(path: string, err: unknown): FileReadError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reason = (code && REASONS[code]) ?? (err instanceof Error ? err.message : String(err));
  return new FileReadError(path, reason, code);
}

/** Read a whole regular file as UTF-8, at most `limit` bytes; larger files are an error. */
export async function readHostFile(path: string, limit = SMALL_FILE_LIMIT): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fail(path, err);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new FileReadError(path, REASONS.EISDIR!, 'EISDIR');
    if (!st.isFile()) throw new FileReadError(path, 'not a regular file', 'EINVAL');
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(limit + 1, 64 * 1024));
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw new FileReadError(path, `larger than ${limit} bytes`, 'EFBIG');
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    throw err instanceof FileReadError ? err : fail(path, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Like readHostFile, but a missing file gives undefined instead of an error. */
export async function readOptionalHostFile(path: string, limit = SMALL_FILE_LIMIT): Promise<string | undefined> {
  try {
    return await readHostFile(path, limit);
  } catch (err) {
    if (err instanceof FileReadError && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) return undefined;
    throw err;
  }
}

/** Names of the subdirectories of a directory (symlinks are not followed); missing → undefined. */
export async function listSubdirectories(path: string): Promise<string[] | undefined> {
  try {
    const entries = await fs.readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    const e = fail(path, err);
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Modification time and size of a path, or undefined when it does not exist. */
export async function statStamp(path: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return undefined;
  }
}
