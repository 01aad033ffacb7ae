// Durations in Prometheus notation: "500ms", "5s", "2m", "6h", "1d", "1w", "1y", and combinations
// in descending order such as "1h30m". Returned as milliseconds.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const PATTERN = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Parse a Prometheus duration; returns undefined when the text is not one. "0" is accepted. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const m = PATTERN.exec(text);
  if (!m || text === '') return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const part = m[i + 1];
    if (part !== undefined) total += Number(part) * ms;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Format milliseconds back into the shortest Prometheus duration. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
