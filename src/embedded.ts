// What a single-file build carries inside itself. In the tsc build (dist/) this module is empty and the
// program reads the files beside it; `npm run bundle` (scripts/bundle.mjs) replaces this module with one
// that holds the build's version and revision, the bcryptjs library (for the password-check worker thread)
// and the shipped alert rules and dashboards.

export interface EmbeddedBuild {
  readonly version: string;
  readonly revision: string;
}

/** Version and revision stamped at build time; undefined in the tsc build. */
export const embeddedBuild: EmbeddedBuild | undefined = undefined;

/** Embedded files by their path in the repository (e.g. `alerts/klp.rules.yml`); empty in the tsc build. */
export const embeddedFiles: Readonly<Record<string, string>> = {};
