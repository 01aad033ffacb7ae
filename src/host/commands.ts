// Command discovery. The commands the exporter may run are looked up once, at start-up, on the
// exporter's PATH; afterwards only these absolute paths are executed.

import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

export const KNOWN_COMMANDS = ['rpm', 'klp', 'kgr', 'zypper'] as const;
export type CommandName = (typeof KNOWN_COMMANDS)[number];

/** Absolute paths of the commands found; a missing command has no entry. */
export type CommandPaths = Partial<Record<CommandName, string>>;

/** Find each known command on `searchPath` (a PATH-style list). */
export async function resolveCommands(searchPath: string): Promise<CommandPaths> {
  const dirs = searchPath.split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found: CommandPaths = {};
  for (const name of KNOWN_COMMANDS) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        const st = await fs.stat(candidate);
        if (!st.isFile()) continue;
        await fs.access(candidate, constants.X_OK);
        found[name] = candidate;
        break;
      } catch {
        // not here
      }
    }
  }
  return found;
}
