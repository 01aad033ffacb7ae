// promtool, from Debian's prometheus package. Tests that need it fail (never skip) without it.

import { execFileSync, spawnSync } from 'node:child_process';

export function promtoolPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error("promtool not found: install Debian's prometheus package (scripts/install-test-deps.sh)");
  }
}

/** Lint problems `promtool check metrics` reports for exposition text (parse errors included). */
export function checkMetrics(text: string): { status: number; problems: string[] } {
  const r = spawnSync(promtoolPath(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const problems = `${r.stdout}${r.stderr}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return { status: r.status ?? -1, problems };
}

/** The one lint finding we accept on purpose: the mission asks for a gauge in days. */
export const ACCEPTED_LINT = /^klp_patch_days_until_expiry use base unit "seconds" instead of "days"$/;
