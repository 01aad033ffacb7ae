// Values of the /sys/kernel/livepatch attributes, written by the kernel as "%d\n".

import { ParseError } from '../errors.js';

/** A boolean attribute: "0" or "1". */
export function parseSysfsFlag(text: string, source: string): 0 | 1 {
  const t = text.trim();
  if (t === '0') return 0;
  if (t === '1') return 1;
  throw new ParseError(source, 'expected 0 or 1'); // never quoted: the file could be a link to a secret
}

/** A small non-negative integer attribute (stack_order). */
export function parseSysfsInteger(text: string, source: string): number {
  const t = text.trim();
  if (!/^\d{1,9}$/.test(t)) throw new ParseError(source, 'expected an integer');
  return Number(t);
}
