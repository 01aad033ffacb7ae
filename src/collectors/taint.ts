// taint collector: /proc/sys/kernel/tainted.

import { readHostFile } from '../host/files.js';
import { hostView, procPath } from '../host/paths.js';
import { parseTainted, type Taint } from '../parsers/taint.js';
import type { CollectorContext } from './types.js';

export function collectTaint(ctx: CollectorContext): Taint {
  const p = procPath(ctx.paths, 'sys/kernel/tainted');
  return parseTainted(readHostFile(p), hostView(ctx.paths, p));
}
