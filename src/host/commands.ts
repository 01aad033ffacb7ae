// Command discovery. The commands the exporter may run are looked up once, at start-up, on the
// exporter's PATH; afterwards only these absolute paths are executed. Which commands: the live
// patch system's (systems/).

import { constants, promises as fs } from 'node:fs';
import path from 'node:path';

/** Absolute paths of the commands found, by command name; a missing command has no entry. */
export type CommandPaths = Readonly<Partial<Record<string, string>>>;

/** Find each of `names` on `searchPath` (a PATH-style list). */
export async function resolveCommands(searchPath: string, names: readonly string[]): Promise<CommandPaths> {
  const dirs = searchPath.split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found: Record<string, string> = {};
  for (const name of names) {
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
