import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const fmt = (d: ReturnType<typeof validate>) => d.map((x) => `line ${x.range.start.line + 1}: ${x.message}`);

describe('Dockerfile', () => {
  it('dockerfile-utils reports no problems', () => {
    expect(fmt(validate(dockerfile))).toEqual([]);
  });

  it('the linter does flag a broken file (sanity check of the check)', () => {
    expect(fmt(validate('FROMM x\nEXPOSE 10055\n')).join('\n')).toContain('Unknown instruction: FROMM');
  });

  const ins = instructions(dockerfile);
  const lastFrom = ins.map((i) => i.op).lastIndexOf('FROM');
  const runtime = ins.slice(lastFrom);
  const one = (op: string) => {
    const found = runtime.filter((i) => i.op === op);
    expect(found.map((f) => f.op)).toEqual([op]);
    return found[0]!.args;
  };

  it('is multi-stage on the SUSE BCI Node.js base', () => {
    expect(ins.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(ins.find((i) => i.op === 'ARG' && i.args.startsWith('BASE_IMAGE='))?.args).toMatch(
      /^BASE_IMAGE=registry\.suse\.com\/bci\/nodejs:(2[2-9]|[3-9]\d)$/,
    );
    expect(runtime[0]!.args).toBe('${BASE_IMAGE}');
    expect(ins.some((i) => i.op === 'RUN' && /npm ci/.test(i.args))).toBe(true);
    expect(ins.some((i) => i.op === 'RUN' && /npm prune --omit=dev/.test(i.args))).toBe(true);
  });

  it('runtime stage: non-root user, exec-form entrypoint, port, healthcheck, labels', () => {
    const user = one('USER');
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(JSON.parse(one('ENTRYPOINT'))).toEqual(['node', '--max-semi-space-size=1', '--lite-mode', '/app/dist/main.js']);
    expect(JSON.parse(one('CMD'))).toEqual(['--web.listen-address=0.0.0.0:10055']);
    expect(one('EXPOSE')).toBe('10055');
    expect(one('HEALTHCHECK')).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
    const labels = runtime.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' ');
    for (const l of ['title', 'description', 'licenses', 'version', 'revision']) {
      expect(labels).toContain(`org.opencontainers.image.${l}=`);
    }
    // the healthcheck file is copied in and probes /-/healthy
    expect(runtime.some((i) => i.op === 'COPY' && i.args === 'packaging/container/healthcheck.mjs ./healthcheck.mjs')).toBe(true);
    expect(readFileSync(path.join(ROOT, 'packaging/container/healthcheck.mjs'), 'utf8')).toContain('/-/healthy');
  });

  it('.dockerignore lets in exactly what the build copies', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*$/m);
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/**', 'packaging/container/**']) {
      expect(ignore).toMatch(new RegExp(`^!${p.replace(/[.*]/g, '\\$&')}$`, 'm'));
    }
  });
});
