// The web configuration of a running server: re-read on reload (SIGHUP, POST /-/reload), and its
// certificate, key and client CA files re-read when they change on disk (a renewed certificate
// needs no restart; exporter-toolkit reads them on every handshake). A broken new file or a
// half-written certificate keeps the previous configuration.

import { statSync } from 'node:fs';
import { loadTlsMaterial, loadWebConfig, WebConfigError, type WebConfig } from './web-config.js';

/** How often, at most, the certificate files are checked for changes (on new connections). */
const TLS_CHECK_INTERVAL_MS = 1000;

function stamp(file: string | undefined): string {
  if (file === undefined) return '';
  try {
    const st = statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

function tlsStamp(config: WebConfig | undefined): string {
  const t = config?.tls;
  return t ? [t.certFile, t.keyFile, t.clientCaFile].map(stamp).join('|') : '';
}

export class LiveWebConfig {
  private config: WebConfig | undefined;
  private stamps: string;
  private checkedAt = 0;
  /** Incremented whenever the TLS material changes, so that a server can tell it must update. */
  private version = 0;

  constructor(
    initial: WebConfig | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.config = initial;
    this.stamps = tlsStamp(initial);
  }

  /** The configuration in force. */
  readonly current = (): WebConfig | undefined => this.config;

  /** Changes each time the TLS settings or material change. */
  get tlsVersion(): number {
    return this.version;
  }

  /**
   * Read `file` again (undefined: no web config) and use it. Throws (WebConfigError) and keeps the
   * configuration in force when the new one is broken, or when it would switch between HTTP and
   * HTTPS, which needs a restart. Returns whether anything changed.
   */
  reload(file: string | undefined): boolean {
    const next = file === undefined ? undefined : loadWebConfig(file);
    if (Boolean(next?.tls) !== Boolean(this.config?.tls)) {
      throw new WebConfigError(file ?? this.config?.file ?? '-', 'tls_server_config', 'switching between HTTP and HTTPS needs a restart; keeping the previous web configuration');
    }
    const changed = !sameConfig(this.config, next);
    if (changed) {
      this.config = next;
      this.stamps = tlsStamp(next);
      this.version++;
    }
    return changed;
  }

  /**
   * Re-read the certificate, key and client CA when their files changed (checked at most once a
   * second). Returns the error when the new files are unusable (the old material stays in use).
   */
  refreshTls(): WebConfigError | undefined {
    const c = this.config;
    if (!c?.tls || this.now() - this.checkedAt < TLS_CHECK_INTERVAL_MS) return undefined;
    this.checkedAt = this.now();
    const stamps = tlsStamp(c);
    if (stamps === this.stamps) return undefined;
    try {
      this.config = loadTlsMaterial(c);
      this.stamps = stamps;
      this.version++;
      return undefined;
    } catch (e) {
      // Retried at the next check: renewal tools may write the certificate and the key one after the other.
      if (e instanceof WebConfigError) return e;
      throw e;
    }
  }
}

function sameConfig(a: WebConfig | undefined, b: WebConfig | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const plain = (c: WebConfig) => JSON.stringify({ ...c, basicAuthUsers: [...c.basicAuthUsers], tls: c.tls && { ...c.tls, material: undefined } });
  const m = (c: WebConfig) => c.tls?.material;
  const ma = m(a);
  const mb = m(b);
  const sameMaterial = ma === mb || (ma !== undefined && mb !== undefined && ma.cert.equals(mb.cert) && ma.key.equals(mb.key) && (ma.ca === mb.ca || (ma.ca !== undefined && mb.ca !== undefined && ma.ca.equals(mb.ca))));
  return sameMaterial && plain(a) === plain(b);
}
