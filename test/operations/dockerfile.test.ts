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

  it('is built offline from the bundle on the SUSE BCI Node.js base: no npm in the build', () => {
    expect(ins.filter((i) => i.op === 'FROM').length).toBe(1);
    expect(ins.find((i) => i.op === 'ARG' && i.args.startsWith('BASE_IMAGE='))?.args).toMatch(/^BASE_IMAGE=registry\.suse\.com\/bci\/nodejs:(2[2-9]|[3-9]\d)$/);
    expect(runtime[0]!.args).toBe('${BASE_IMAGE}');
    expect(ins.filter((i) => i.op === 'RUN')).toEqual([]);
    expect(runtime.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual([
      'build/klp_exporter.mjs /usr/lib/klp_exporter/klp_exporter.mjs',
      'packaging/container/healthcheck.mjs /usr/lib/klp_exporter/healthcheck.mjs',
    ]);
  });

  it('runtime stage: non-root user, exec-form entrypoint, port, healthcheck, labels', () => {
    const user = one('USER');
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(JSON.parse(one('ENTRYPOINT'))).toEqual(['node', '--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm', '/usr/lib/klp_exporter/klp_exporter.mjs']);
    expect(JSON.parse(one('CMD'))).toEqual(['--web.listen-address=0.0.0.0:10055']);
    expect(one('EXPOSE')).toBe('10055');
    expect(one('HEALTHCHECK')).toMatch(/CMD \["node", "\/usr\/lib\/klp_exporter\/healthcheck\.mjs"\]$/);
    const labels = runtime
      .filter((i) => i.op === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const l of ['title', 'description', 'licenses', 'version', 'revision']) {
      expect(labels).toContain(`org.opencontainers.image.${l}=`);
    }
    // the healthcheck file probes /-/healthy
    expect(readFileSync(path.join(ROOT, 'packaging/container/healthcheck.mjs'), 'utf8')).toContain('/-/healthy');
  });

  it('.dockerignore lets in exactly what the build copies', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*$/m);
    for (const p of ['build/klp_exporter.mjs', 'packaging/container/healthcheck.mjs']) {
      expect(ignore).toMatch(new RegExp(`^!${p.replace(/[.*]/g, '\\$&')}$`, 'm'));
    }
  });
});
