// Output of SUSE's `klp` tool (SLE 12: `kgr`): `klp status` and `klp -v patches`.
//
// `klp -v patches` prints one block per loaded live patch module: an unindented line with the
// module name, then indented "key: value" lines; a blank line ends the block. Known keys:
// active, RPM, CVE, "bug fixes and enhancements". Unknown keys (-vv adds some) are ignored.

import { ParseError } from '../errors.js';
import { parseNvra } from './rpm.js';

export type KlpStatus = 'ready' | 'in_progress';

export function parseKlpStatus(text: string, source = 'klp status'): KlpStatus {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l !== '');
  if (lines.length !== 1) throw new ParseError(source, `expected one word, got ${lines.length} lines`);
  const word = lines[0]!;
  if (word === 'ready' || word === 'in_progress') return word;
  throw new ParseError(source, `unknown status ${JSON.stringify(word.slice(0, 40))}`);
}

export interface KlpPatch {
  /** Module name as in /sys/kernel/livepatch, e.g. livepatch_3_150600_13_9_1. */
  readonly module: string;
  /** undefined when the field is missing or unreadable. */
  readonly active: boolean | undefined;
  /** Package from the RPM field, when it is a well-formed NVRA. */
  readonly rpm: { name: string; version: string; release: string; arch: string } | undefined;
  readonly cves: readonly string[];
  readonly bugs: readonly string[];
  /** The CVE field says this is an initial patch (no fixes). */
  readonly initial: boolean;
}

export interface KlpPatches {
  readonly patches: KlpPatch[];
  /** Lines that were skipped (field lines outside a block, unreadable fields). */
  readonly warnings: string[];
}

const MODULE = /^[A-Za-z0-9_-]{1,200}$/;

export function parseKlpPatches(text: string, source = 'klp -v patches'): KlpPatches {
  const patches: KlpPatch[] = [];
  const warnings: string[] = [];
  let current: { module: string; fields: Map<string, string> } | undefined;
  const finish = () => {
    if (current) patches.push(toPatch(current.module, current.fields, warnings));
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return finish();
    if (line.trimStart().startsWith('#')) return;
    if (/^\s/.test(line)) {
      const m = /^\s+([^:]+):\s?(.*)$/.exec(line);
      if (!current) {
        warnings.push(`line ${i + 1}: field outside a patch block`);
      } else if (!m) {
        warnings.push(`line ${i + 1}: not a "key: value" field`);
      } else {
        current.fields.set(m[1]!.trim().toLowerCase(), m[2]!.trim());
      }
      return;
    }
    const name = line.trim();
    if (!MODULE.test(name)) throw new ParseError(source, `line ${i + 1}: not a module name: ${JSON.stringify(name.slice(0, 80))}`);
    finish();
    current = { module: name, fields: new Map() };
  });
  finish();
  return { patches, warnings };
}

function toPatch(module: string, fields: Map<string, string>, warnings: string[]): KlpPatch {
  const activeText = fields.get('active');
  let active: boolean | undefined;
  if (activeText === '1') active = true;
  else if (activeText === '0') active = false;
  else if (activeText !== undefined) warnings.push(`${module}: unreadable active field ${JSON.stringify(activeText.slice(0, 40))}`);
  const rpmText = fields.get('rpm');
  const rpm = rpmText ? parseNvra(rpmText) : undefined;
  const cveText = fields.get('cve') ?? '';
  const initial = /initial (kernel )?live ?patch/i.test(cveText);
  const cves = [...new Set(cveText.match(/CVE-\d{4}-\d{4,}/g) ?? [])].sort();
  const bugText = fields.get('bug fixes and enhancements') ?? '';
  const bugs = [...new Set((bugText.match(/\b[a-z]{2,4}#\d{1,10}\b/gi) ?? []).map((b) => b.toLowerCase()))].sort();
  return { module, active, rpm, cves, bugs, initial };
}
