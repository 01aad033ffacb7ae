// Command discovery. The commands the exporter may run are looked up once, at start-up, on the
// exporter's PATH; afterwards only these absolute paths are executed. Which commands: the live
// patch system's (systems/). A command that someone other than root or the exporter's user could
// replace is refused (as sudo and cron do).

import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ExporterError } from '../errors.js';

/**
 * Why `file` (found on the exec path) is not safe to run, or undefined. Unsafe: the file (after
 * symbolic links) or its directory, or the directory that holds the link, is owned by another
 * user or writable by group or others (a group-writable one is accepted when the group is root's);
 * or a directory above them is writable by others without the sticky bit.
 */
async function unsafeCommandReason(file: string, uid = process.getuid?.() ?? 0): Promise<string | undefined> {
  const real = await fs.realpath(file);
  const writableByOthers = (st: { uid: number; gid: number; mode: number }) => (st.uid !== 0 && st.uid !== uid) || (st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && st.gid !== 0);
  const describe = (what: string, p: string, st: { uid: number; mode: number }) =>
    `${what} ${p} is ${(st.mode & 0o022) !== 0 ? `writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'}` : `owned by uid ${st.uid}`}`;
  const st = await fs.stat(real);
  if (writableByOthers(st)) return describe('the command', real, st);
  for (const dir of new Set([path.dirname(real), path.dirname(file)])) {
    const d = await fs.stat(dir);
    if (writableByOthers(d)) return describe('the directory', dir, d);
    for (let up = path.dirname(dir); ; up = path.dirname(up)) {
      const u = await fs.stat(up);
      if ((u.mode & 0o002) !== 0 && (u.mode & 0o1000) === 0) return `the directory ${up} is writable by others`;
      if (up === path.dirname(up)) break;
    }
  }
  return undefined;
}

/** Absolute paths of the commands found, by command name; a missing command has no entry. */
export type CommandPaths = Readonly<Partial<Record<string, string>>>;

/**
 * Find each of `names` on `searchPath` (a PATH-style list). A command found but unsafe (see
 * unsafeCommandReason) is not used, and not looked for further along the path; `onRefused` says why.
 */
export async function resolveCommands(searchPath: string, names: readonly string[], onRefused?: (command: string, file: string, reason: string) => void): Promise<CommandPaths> {
  const dirs = searchPath.split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found: Record<string, string> = {};
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        const st = await fs.stat(candidate);
        if (!st.isFile()) continue;
        await fs.access(candidate, constants.X_OK);
      } catch {
        continue; // not here
      }
      const reason = await unsafeCommandReason(candidate).catch((e: NodeJS.ErrnoException) => `cannot check it: ${e.code ?? e.message}`);
      if (reason) onRefused?.(name, candidate, reason);
      else found[name] = candidate;
      break;
    }
  }
  return found;
}

/** The error for a command that was not found at start-up: where it was looked for (--exec.path; the exporter's PATH is never searched). */
export function commandNotFound(command: string, searchPath: string, consequence?: string): ExporterError {
  return new ExporterError(`${command} not found in --exec.path (${searchPath})${consequence ? `: ${consequence}` : ''}`);
}
