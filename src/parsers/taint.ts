// /proc/sys/kernel/tainted: a decimal bit mask. Decoded numerically: letters are ambiguous
// (SUSE's "no support" N and upstream's TAINT_TEST N are different bits).

import { ParseError } from '../errors.js';

/** Bit 15, letter K: the kernel has been live patched (never cleared). */
export const TAINT_LIVEPATCH_BIT = 15;

export interface Taint {
  /** The raw value (may exceed 2^31 on SUSE kernels). */
  readonly value: number;
  readonly livepatch: boolean;
}

export function parseTainted(text: string, source = '/proc/sys/kernel/tainted'): Taint {
  const t = text.trim();
  if (!/^\d{1,20}$/.test(t)) throw new ParseError(source, 'not a decimal number'); // never quoted: the file could be a link to a secret
  const big = BigInt(t);
  if (big >= 1n << 64n) throw new ParseError(source, 'value out of range');
  return { value: Number(big), livepatch: ((big >> BigInt(TAINT_LIVEPATCH_BIT)) & 1n) === 1n };
}
