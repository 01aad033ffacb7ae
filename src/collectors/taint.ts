// taint collector: /proc/sys/kernel/tainted.

import { readHostFile } from '../host/files.js';
import { hostView, procPath } from '../host/paths.js';
import { parseTainted, type Taint } from '../parsers/taint.js';
import type { DirectCollector } from './collector.js';

export const taint: DirectCollector<'taint'> = {
  kind: 'direct',
  name: 'taint',
  help: 'kernel taint flags (/proc/sys/kernel/tainted)',
  enabledByDefault: true,
  collect(ctx): Taint {
    const p = procPath(ctx.paths, 'sys/kernel/tainted');
    return parseTainted(readHostFile(p), hostView(ctx.paths, p));
  },
};
