import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { outputs } from '../../dashboards/outputs.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('generated monitoring files', () => {
  test.each([...outputs().keys()])('%s is up to date with its TypeScript source (run `npm run dashboards`)', (path) => {
    const fresh = outputs().get(path);
    expect(readFileSync(`${root}${path}`, 'utf8')).toBe(fresh);
  });
});
