// Bounds on a YAML file's shape, checked before the YAML parser sees it. Shared by the exporter
// config and the web config.

import { CST, LineCounter, Parser } from 'yaml';

/** Bounds on a config file's shape. */
export const CONFIG_LIMITS = { bytes: 64 * 1024, flowDepth: 64, indent: 256 } as const;

/**
 * The YAML parser recurses once per nesting level: a few thousand "[" overflow the stack, and
 * after one such overflow the next deep document can abort the whole process inside V8 (a fatal
 * "RegExpCompiler Allocation failed", not an exception) — a SIGHUP reload with a bad file would
 * kill a running exporter. No real config nests deeper than a few levels, so refuse deep ones
 * first. Brackets are counted even inside quotes: a value with 64 unclosed "[" is refused too.
 * Returns the problem, or undefined when the shape is acceptable.
 */
export function yamlShapeProblem(text: string): string | undefined {
  if (text.length > CONFIG_LIMITS.bytes) return `larger than ${CONFIG_LIMITS.bytes} bytes`;
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      line++;
      continue;
    }
    if (lineStart && (c === ' ' || c === '\t' || c === '-')) {
      if (++indent > CONFIG_LIMITS.indent) return `line ${line}: indented deeper than ${CONFIG_LIMITS.indent} columns`;
      continue;
    }
    lineStart = false;
    if (c === '[' || c === '{') {
      if (++depth > CONFIG_LIMITS.flowDepth) return `line ${line}: nested deeper than ${CONFIG_LIMITS.flowDepth} levels`;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

// Error messages about a config file name the file, the line and the key, and never echo what a
// file holds unexpectedly: pointed at /etc/shadow or a private key by mistake (or by someone
// who may set the flag but not read the file), the exporter must not print it.

/** Longest user value an error message repeats. */
const MAX_ECHOED_VALUE = 40;

/** A value given on the command line, quoted and cut to MAX_ECHOED_VALUE characters (a value from a file is never repeated). */
export function boundedValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = String(value);
  return text.length > MAX_ECHOED_VALUE ? `${JSON.stringify(text.slice(0, MAX_ECHOED_VALUE))}…` : JSON.stringify(text);
}

/** A key from the file as an error may name it: only when it looks like a setting name. */
export function safeKey(key: string): string {
  return /^[A-Za-z0-9_.\-[\]]{1,64}$/.test(key) ? key : '(a key that is not a setting name)';
}

/**
 * The yaml library's error, without the text it quotes: the first line of its message up to
 * " at line", without anything after a ": " (an alias or tag name from the file), then the position:
 * where the offending token starts (see offendingTokenStart), given the text; else the library's.
 */
export function yamlErrorText(err: { message: string; pos?: [number, number]; linePos?: [{ line: number; col: number }, ...unknown[]] }, text?: string): string {
  const first = err.message.split('\n')[0]!;
  const problem = first.split(' at line ')[0]!.split(': ')[0]!.replace(/:$/, '').slice(0, 120);
  const pos = (text !== undefined && err.pos !== undefined ? offendingTokenStart(text, err.pos[0]) : undefined) ?? err.linePos?.[0];
  return `invalid YAML: ${problem}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}`;
}

/**
 * The library reports a quoted scalar or a flow collection left open where it gave up: at the end
 * of the file, or wherever the next thing did not fit. The operator needs where it was opened:
 * the start of the innermost quoted scalar that reaches the error, or of the innermost unclosed
 * flow collection ("[" or "{") before it. Undefined when the error is in neither.
 */
function offendingTokenStart(text: string, at: number): { line: number; col: number } | undefined {
  const lines = new LineCounter();
  let start: number | undefined;
  for (const token of new Parser(lines.addNewLine).parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, ({ value }) => {
      if (value === undefined || value.offset > at || (start !== undefined && value.offset <= start)) return;
      const quoted = (value.type === 'double-quoted-scalar' || value.type === 'single-quoted-scalar') && at <= value.offset + value.source.length;
      const unclosed = value.type === 'flow-collection' && !value.end.some((t) => t.source === ']' || t.source === '}');
      if (quoted || unclosed) start = value.offset;
    });
  }
  return start === undefined ? undefined : lines.linePos(start);
}
