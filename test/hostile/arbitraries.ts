// Hostile text for property tests: random bytes, NUL, CRLF, unicode, huge lines, and near-valid
// variations of the real formats (a valid sample with pieces cut, repeated or spliced in).

import fc from 'fast-check';
import { ExporterError } from '../../src/errors.js';

/** Runs per property (the issue asks for at least 10,000). */
export const RUNS = 10_000;
/** A single run of a parser must stay far below this (a hang or a blow-up is a failure). */
export const RUN_BUDGET_MS = 250;

const SPECIAL = ['\0', '\r\n', '\r', '\n', '\t', ' ', '"', "'", '\\', '#', ',', ':', '=', '-', '_', '.', '*', '?', '/', '%{', 'é', '\u2028', '\ufeff', '\ud800', '😀', '\u0000\n'];

/** Characters that matter to line-based parsers, mixed with anything. */
const hostileChar = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIAL), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 3 },
);

/** A long run of one piece: a line of 10k–100k characters. Rare (about 1 run in 50), to keep the suite quick. */
const hugeLine = (max: number) =>
  fc.tuple(fc.constantFrom('a', '9', ' ', '*', '"', ',', '\0', 'é', 'CVE-2024-1', '*a', 'x\t'), fc.integer({ min: Math.min(10_000, max), max })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

/** Splice hostile pieces into a valid sample: cut, duplicate, insert. */
export function mutate(sample: string): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.nat(sample.length),
    fc.nat(8),
    fc.array(hostileChar, { maxLength: 6 }).map((a) => a.join('')),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let s = sample;
    for (const [at, cut, insert] of edits) {
      const i = Math.min(at, s.length);
      s = s.slice(0, i) + insert + s.slice(i + cut);
    }
    return s;
  });
}

/** Hostile input for a parser whose valid inputs look like `samples`. */
export function hostileText(...samples: string[]): fc.Arbitrary<string> {
  return hostileTextUpTo(100_000, ...samples);
}

/** hostileText with huge lines of at most `hugeMax` characters. */
export function hostileTextUpTo(hugeMax: number, ...samples: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 9 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')), weight: 6 },
    { arbitrary: fc.array(hostileChar, { maxLength: 200 }).map((a) => a.join('')), weight: 9 },
    {
      arbitrary: fc.tuple(fc.array(fc.constantFrom(...samples.flatMap((s) => s.split('\n'))), { maxLength: 20 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol)),
      weight: 6,
    },
    ...samples.map((s) => ({ arbitrary: mutate(s), weight: 12 })),
    { arbitrary: hugeLine(hugeMax), weight: 1 },
    { arbitrary: fc.tuple(fc.constantFrom(...samples), hugeLine(hugeMax)).map(([s, h]) => `${s}\n${h}\n${s}`), weight: 1 },
  );
}

/**
 * Calls `fn`; passes when it returns or throws an ExporterError (a typed parse or config
 * error), fails on anything else thrown, and fails when one call takes longer than the budget.
 */
export function returnsOrTypedError<T>(fn: () => T, budgetMs = RUN_BUDGET_MS): T | ExporterError {
  let out!: T | ExporterError;
  withinBudget(() => {
    try {
      out = fn();
    } catch (err) {
      if (!(err instanceof ExporterError)) throw new Error(`threw a ${(err as Error)?.constructor?.name ?? typeof err}, not an ExporterError: ${String(err)}`);
      out = err;
    }
  }, budgetMs);
  return out;
}

/** How often a call over its budget is timed again before the overrun counts. */
const BUDGET_TRIES = 3;

/**
 * Runs `fn` and fails when it takes longer than `budgetMs` on every one of BUDGET_TRIES tries.
 * A blow-up (backtracking, quadratic work) repeats each time; a garbage collection or a busy
 * machine's scheduler does not, so the fastest try is what the input itself costs.
 */
export function withinBudget(fn: () => void, budgetMs: number): void {
  let fastest = Infinity;
  for (let i = 0; i < BUDGET_TRIES && fastest > budgetMs; i++) {
    const started = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - started);
  }
  if (fastest > budgetMs) throw new Error(`took ${fastest.toFixed(0)} ms on each of ${BUDGET_TRIES} tries (budget ${budgetMs.toFixed(0)} ms)`);
}
