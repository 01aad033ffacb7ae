// The one place that runs commands. Argument arrays only (never a shell), an absolute path
// resolved at start-up, a deadline on every call, the whole process group killed on timeout,
// stdout capped, a fixed minimal environment. Results are plain facts; callers decide what a
// non-zero exit means for them.

import { execa } from 'execa';
import { ExporterError } from '../errors.js';
import type { Logger } from '../log.js';

export interface ExecOptions {
  /** Deadline for the command, in milliseconds. */
  readonly timeoutMs: number;
  /** Cap on captured stdout; the command is killed when it prints more. */
  readonly maxOutputBytes: number;
  /** Aborted when the caller gives up (e.g. the exporter shuts down). */
  readonly signal?: AbortSignal;
  /** Where to say that a command's output pipe outlived it (see EXIT_GRACE_MS). */
  readonly log?: Logger;
}

export interface CommandResult {
  /** Display form of the command, e.g. "rpm -qa". */
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** stdout hit maxOutputBytes and the command was killed. */
  readonly truncated: boolean;
  /** The command could not be started at all (missing, not executable). */
  readonly spawnError: string | undefined;
  readonly durationMs: number;
  /**
   * The command exited but a process it started (in its own session) kept the output pipe open:
   * the result holds what was printed until EXIT_GRACE_MS after the exit.
   */
  readonly outputPipeHeld?: boolean;
}

/** A command that did not succeed in the way its caller needs. */
export class CommandError extends ExporterError {
  readonly result: CommandResult;
  constructor(result: CommandResult, detail?: string) {
    super(`${result.command}: ${detail ?? summarize(result)}`);
    this.result = result;
  }
}

const STDERR_LIMIT = 64 * 1024;
/** Extra time after the deadline for a killed command's pipes to close before we stop waiting. */
const KILL_GRACE_MS = 1000;
/**
 * After the command itself has exited, how long its output pipes may stay open (a daemon it
 * started with setsid holds them) before we stop reading and use what it printed.
 */
export const EXIT_GRACE_MS = 250;

/** One line saying how a command ended. */
export function summarize(r: CommandResult): string {
  if (r.spawnError) return `could not run: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${r.durationMs} ms and was killed`;
  if (r.truncated) return 'printed more output than allowed and was killed';
  const err = firstLine(r.stderr);
  if (r.signal) return `killed by ${r.signal}${err ? `: ${err}` : ''}`;
  return `exited with code ${r.exitCode}${err ? `: ${err}` : ''}`;
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.trim().slice(0, 300);
}

/** Run `file` with `args`. Never throws for command failures; see CommandResult. */
export async function runCommand(file: string, args: readonly string[], displayName: string, opts: ExecOptions): Promise<CommandResult> {
  const command = [displayName, ...args.filter((a) => !a.includes('%{'))].join(' ');
  const started = performance.now();
  const sub = execa(file, args, {
    reject: false,
    shell: false,
    stdin: 'ignore',
    // Own process group, so that the deadline also kills grandchildren holding stdout open.
    detached: true,
    cleanup: true,
    maxBuffer: { stdout: opts.maxOutputBytes, stderr: STDERR_LIMIT },
    stripFinalNewline: false,
    encoding: 'utf8',
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', LANG: 'C' },
  });
  const killGroup = () => {
    if (sub.pid === undefined) return;
    try {
      process.kill(-sub.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  // At the deadline (or when the caller aborts) the whole process group is killed; if the
  // output pipes still do not close (a process escaped the group), we stop waiting after a grace.
  let timedOut = false;
  const expire = () => {
    timedOut = true;
    killGroup();
  };
  const deadline = setTimeout(expire, opts.timeoutMs);
  opts.signal?.addEventListener('abort', expire, { once: true });
  if (opts.signal?.aborted) expire();
  let graceTimer: NodeJS.Timeout | undefined;
  const hardStop = new Promise<'hard'>((resolve) => {
    graceTimer = setTimeout(() => resolve('hard'), opts.timeoutMs + KILL_GRACE_MS);
  });
  // The command exited, but its pipes may be held by a process that escaped its group: stop
  // reading them shortly after, and keep what was printed (execa resolves with it).
  let pipeHeld = false;
  let exitTimer: NodeJS.Timeout | undefined;
  sub.once('exit', () => {
    exitTimer = setTimeout(() => {
      pipeHeld = true;
      // What is left of its process group goes; a process in a session of its own stays.
      killGroup();
      sub.stdout?.destroy();
      sub.stderr?.destroy();
    }, EXIT_GRACE_MS);
  });
  const settled = await Promise.race([sub, hardStop]);
  clearTimeout(deadline);
  clearTimeout(graceTimer);
  clearTimeout(exitTimer);
  opts.signal?.removeEventListener('abort', expire);
  const durationMs = Math.round(performance.now() - started);
  if (settled === 'hard') {
    killGroup();
    sub.stdout?.destroy();
    sub.stderr?.destroy();
    return { command, exitCode: undefined, signal: 'SIGKILL', stdout: '', stderr: '', timedOut: true, truncated: false, spawnError: undefined, durationMs };
  }
  const r = settled;
  // A truncated command may have left children behind in its group.
  if (r.isMaxBuffer) killGroup();
  const spawnError = r.exitCode === undefined && !r.signal && !timedOut && !r.isMaxBuffer ? (r.code ?? r.shortMessage ?? 'unknown error') : undefined;
  if (pipeHeld) {
    opts.log?.warn('command exited but a process it started kept its output open; using the output it printed', { command, grace_ms: EXIT_GRACE_MS });
  }
  return {
    command,
    exitCode: r.exitCode,
    signal: r.signal ?? undefined,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : '',
    timedOut,
    truncated: r.isMaxBuffer,
    spawnError,
    durationMs,
    ...(pipeHeld ? { outputPipeHeld: true } : {}),
  };
}

/** The result when it exited 0 (and was neither killed nor cut); a CommandError otherwise. */
export function requireSuccess(r: CommandResult): CommandResult {
  if (r.exitCode !== 0 || r.timedOut || r.truncated || r.spawnError) throw new CommandError(r);
  return r;
}
