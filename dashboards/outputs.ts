/** Every generated file, keyed by its path relative to the repository root. */
import { renderRules } from './rules.js';

export function outputs(): Map<string, string> {
  return new Map([['alerts/klp.rules.yml', renderRules()]]);
}
