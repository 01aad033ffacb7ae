// Bounds on a YAML file's shape, checked before the YAML parser sees it. Shared by the exporter
// config and the web config.

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
