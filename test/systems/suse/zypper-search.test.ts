// The repositories collector's zypper fallback: the XML of `zypper --xmlout search --details`,
// and the exporter on a host whose cache cannot be read, with zypper answering, locked (exit 7)
// or finding nothing (exit 104).

import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ParseError } from '../../../src/errors.js';
import { parseZypperSearch } from '../../../src/systems/suse/zypper-search.js';
import { copyScenario, HOSTS, startInProcess } from '../../helpers/fixture-host.js';

const LP = 'kernel-livepatch-6_4_0-150600_23_25-default';
const HOST = 'sles15sp6-repo-zypper-fallback';
const CMD = path.join(HOSTS, HOST, 'cmd');
const RECORDING = readdirSync(CMD).find((n) => n.startsWith('zypper_--xmlout_search'))!;
const XML = readFileSync(path.join(CMD, RECORDING), 'utf8');

describe('parseZypperSearch', () => {
  it('keeps the wanted packages repositories offer, not the installed copy', () => {
    const hits = parseZypperSearch(XML, new Set([LP]), 'zypper');
    expect(hits.map((h) => `${h.pkg.version}-${h.pkg.release}@${h.repository}`)).toEqual([
      '4-150600.13.12.1@SLE-Module-Live-Patching15-SP6-Updates',
      '3-150600.13.9.1@SLE-Module-Live-Patching15-SP6-Updates',
      '2-150600.13.6.1@SLE-Module-Live-Patching15-SP6-Updates',
      '1-150600.13.3.1@SLE-Module-Live-Patching15-SP6-Updates',
    ]);
    expect(parseZypperSearch(XML, new Set(['other']), 'zypper')).toEqual([]);
  });

  it('reads an epoch in the edition', () => {
    const xml = `<stream><search-result version="0.0"><solvable-list><solvable name="${LP}" kind="package" edition="1:5-1.1" arch="x86_64" repository="r"/></solvable-list></search-result></stream>`;
    expect(parseZypperSearch(xml, new Set([LP]), 'zypper')[0]!.pkg).toEqual({ name: LP, arch: 'x86_64', epoch: '1', version: '5', release: '1.1' });
  });

  it.each([
    ['<stream><message type="error">System management is locked</message></stream>', /no <search-result>/],
    [`<stream><search-result><solvable-list><solvable name="${LP}" edition="4 5" repository="r"/></solvable-list></search-result></stream>`, /invalid edition/],
    ['<stream><search-result>', /./],
    ['not xml', /./],
  ])('rejects %j', (xml, re) => {
    expect(() => parseZypperSearch(xml, new Set([LP]), 'zypper')).toThrow(ParseError);
    expect(() => parseZypperSearch(xml, new Set([LP]), 'zypper')).toThrow(re);
  });
});

describe('the zypper fallback on a host whose cache cannot be read', () => {
  async function scrapeWith(change: (cmd: string) => void, args?: (a: readonly string[]) => string[]): Promise<{ text: string; logs: string }> {
    const { scenario, base } = copyScenario(HOST);
    try {
      change(path.join(scenario.dir, 'cmd'));
      const running = await startInProcess(args ? { ...scenario, args: args(scenario.args) } : scenario);
      try {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        return { text, logs: running.logs.join('\n') };
      } finally {
        await running.close();
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }

  it('says so when another zypper holds the lock (exit 7), and makes nothing up', async () => {
    const { text, logs } = await scrapeWith((cmd) => {
      writeFileSync(path.join(cmd, RECORDING), 'System management is locked by the application with pid 4242 (zypper).\n');
      writeFileSync(path.join(cmd, RECORDING.replace(/\.out$/, '.rc')), '7\n');
    });
    expect(text).toContain('klp_scrape_collector_success{collector="repositories"} 0');
    expect(text).not.toContain('klp_patch_available_version');
    expect(logs).toMatch(/zypper search: .*zypp lock is held by another process \(exit 7\)/);
  });

  it('reports none available when zypper finds no package of these names (exit 104)', async () => {
    const { text } = await scrapeWith((cmd) => {
      writeFileSync(path.join(cmd, RECORDING), '<?xml version="1.0"?>\n<stream><message type="info">No matching items found.</message></stream>\n');
      writeFileSync(path.join(cmd, RECORDING.replace(/\.out$/, '.rc')), '104\n');
    });
    expect(text).toContain('klp_scrape_collector_success{collector="repositories"} 1');
    expect(text).toContain('klp_patch_available_version 0');
  });

  it('is not asked when the flag is off', async () => {
    const { text } = await scrapeWith(
      () => undefined,
      (a) => a.filter((x) => x !== '--collector.repositories.zypper'),
    );
    expect(text).toContain('klp_exporter_command_runs_total{command="zypper"} 0');
    expect(text).not.toContain('klp_patch_available_version');
  });
});
