// Reading a large, possibly compressed metadata file as a stream of text chunks, off the scrape
// path: asynchronous reads, decompression chosen by the file's magic bytes (gzip with node's
// zlib; zstd with node's zlib where it has it, else fzstd, a pure-JS decoder), strict UTF-8,
// limits on the compressed and the decompressed size and on the compression ratio (a bomb is
// refused after a few MiB, not at the size limit), and a pause for the event loop after every
// few milliseconds of parsing, so that /-/healthy and scrapes are answered while it runs.

import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { Decompress as FzstdDecompress } from 'fzstd';
import { FileReadError } from '../errors.js';
import { fileError, requireRegularFile } from './files.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface StreamLimits {
  /** Largest file accepted, bytes as stored. */
  readonly maxFileBytes: number;
  /** Largest decompressed content accepted, bytes. */
  readonly maxContentBytes: number;
  /** Largest compression ratio (decompressed bytes per compressed byte read) accepted … */
  readonly maxRatio: number;
  /** … once the decompressed content is past this many bytes. */
  readonly ratioAfterBytes: number;
  /** Longest stretch of synchronous parsing before yielding to the event loop, ms. */
  readonly sliceMs: number;
}

/** Default of --collector.repositories.max-metadata-bytes: about 5× the largest real SUSE primary (≈ 100 MiB uncompressed). */
export const DEFAULT_MAX_CONTENT_BYTES = 512 * 1024 * 1024;

export const METADATA_LIMITS: StreamLimits = {
  maxFileBytes: 512 * 1024 * 1024,
  maxContentBytes: DEFAULT_MAX_CONTENT_BYTES,
  // Real rpm-md metadata compresses 5–15× (createrepo_c's gzip and zstd; Leap 15.3's update
  // primary: 900 MB in 120 MB of gzip): 100× is far beyond any of it, and a gzip or zstd bomb
  // (1,000× and more) is refused after a few MiB instead of at the size limit.
  maxRatio: 100,
  ratioAfterBytes: 4 * 1024 * 1024,
  sliceMs: 8,
};

export interface StreamResult {
  readonly compression: Compression;
  readonly fileBytes: number;
  readonly contentBytes: number;
}

const READ_CHUNK = 32 * 1024;
/** Decompressed bytes decoded and handed to the parser at once (a few milliseconds of saxes at most). */
const DECODE_PIECE = 8 * 1024;
/**
 * Compressed bytes handed to fzstd at once: an RLE block of 4 bytes decodes to up to 128 KiB,
 * so 128 bytes decode to 4 MiB at most before the limits are checked.
 */
const ZSTD_PIECE = 128;

/** The compression of a file from its first bytes; unsupported ones are an error that names them. */
export function detectCompression(head: Uint8Array, path: string): Compression {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) throw new FileReadError(path, 'xz compression is not supported (SUSE repositories use gzip or zstd)', 'EUNSUPPORTED');
  if (starts(0x42, 0x5a, 0x68)) throw new FileReadError(path, 'bzip2 compression is not supported (SUSE repositories use gzip or zstd)', 'EUNSUPPORTED');
  if (starts(0x00, 0x5a, 0x43, 0x4b, 0x31)) throw new FileReadError(path, 'zchunk compression is not supported (SUSE repositories use gzip or zstd)', 'EUNSUPPORTED');
  // Plain XML, possibly after a byte order mark and white space.
  let i = starts(0xef, 0xbb, 0xbf) ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x3c) return 'none';
  if (head.length === 0) throw new FileReadError(path, 'empty file', 'EEMPTY');
  throw new FileReadError(path, 'neither XML nor a known compression (gzip, zstd)', 'EUNSUPPORTED');
}

type Stage = NodeJS.ReadWriteStream | ((source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>);

/**
 * A zstd decoder stage: node's own when it has one (Node 22.15+), else fzstd as an async
 * generator, fed in small pieces so that one piece never decodes into megabytes at once, and
 * pulled by the parser (backpressure: nothing is decoded ahead of the parse).
 */
function zstdDecoder(): Stage {
  const native = (zlib as unknown as { createZstdDecompress?: (o: object) => NodeJS.ReadWriteStream }).createZstdDecompress;
  if (typeof native === 'function') return native({ chunkSize: READ_CHUNK });
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const out: Buffer[] = [];
    // fzstd hands out each decoded block as a new array (it copies the block into its window
    // afterwards), or a view of the input chunk, which is not reused: no copy needed.
    const decoder = new FzstdDecompress((data) => void out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
    for await (const chunk of source) {
      for (let i = 0; i < chunk.length; i += ZSTD_PIECE) {
        decoder.push(chunk.subarray(i, i + ZSTD_PIECE));
        while (out.length > 0) yield out.shift()!;
      }
    }
    decoder.push(new Uint8Array(0), true);
    while (out.length > 0) yield out.shift()!;
  };
}

/**
 * Stream a metadata file to `onText` in decoded chunks. Rejects with a FileReadError naming the
 * file for I/O problems, truncated or corrupt compressed data, invalid UTF-8 and exceeded limits;
 * errors thrown by `onText` (parse errors) pass through unchanged.
 */
export async function streamTextFile(path: string, onText: (text: string) => void, limits: StreamLimits = METADATA_LIMITS): Promise<StreamResult> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const st = await fh.stat();
    requireRegularFile(path, st);
    if (st.size > limits.maxFileBytes) throw new FileReadError(path, `larger than ${limits.maxFileBytes} bytes`, 'EFBIG');
    const head = Buffer.alloc(16);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const compression = detectCompression(head.subarray(0, bytesRead), path);

    const input = fh.createReadStream({ start: 0, highWaterMark: READ_CHUNK, autoClose: false });
    // Compressed bytes read so far (a little ahead of what the decoder consumed: the ratio is underestimated, never over).
    let fileBytes = 0;
    const counted = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        fileBytes += chunk.length;
        yield chunk;
      }
    };
    const stage: Stage | undefined = compression === 'gzip' ? zlib.createGunzip({ chunkSize: READ_CHUNK }) : compression === 'zstd' ? zstdDecoder() : undefined;

    const decoder = new TextDecoder('utf-8', { fatal: true });
    let contentBytes = 0;
    let sliceStart = performance.now();
    let parseError: unknown;
    let readError: FileReadError | undefined;
    const consume = async function (source: AsyncIterable<Buffer | string>): Promise<void> {
      for await (const data of source) {
        const chunk = typeof data === 'string' ? Buffer.from(data) : data;
        contentBytes += chunk.length;
        if (contentBytes > limits.maxContentBytes) throw (readError = new FileReadError(path, `decompresses to more than ${limits.maxContentBytes} bytes`, 'EFBIG'));
        if (compression !== 'none' && contentBytes > limits.ratioAfterBytes && contentBytes > limits.maxRatio * fileBytes) {
          throw (readError = new FileReadError(path, `compression ratio above ${limits.maxRatio}:1 (${contentBytes} bytes from ${fileBytes}): not real metadata`, 'EFBIG'));
        }
        // Decoded in pieces: short strings die young (a string of 128 KiB or more would be
        // allocated in V8's large-object space and kept until a full garbage collection).
        for (let off = 0; off < chunk.length; off += DECODE_PIECE) {
          let text: string;
          try {
            text = decoder.decode(chunk.length <= DECODE_PIECE ? chunk : chunk.subarray(off, off + DECODE_PIECE), { stream: true });
          } catch {
            throw (readError = new FileReadError(path, 'not valid UTF-8', 'EILSEQ'));
          }
          try {
            onText(text);
          } catch (err) {
            parseError = err;
            throw err;
          }
          // Pause for the event loop whenever a slice of time is used up.
          if (performance.now() - sliceStart > limits.sliceMs) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
        }
      }
      try {
        const rest = decoder.decode();
        if (rest !== '') onText(rest);
      } catch (err) {
        if (err instanceof TypeError) throw (readError = new FileReadError(path, 'not valid UTF-8 (ends inside a character)', 'EILSEQ'));
        parseError = err;
        throw err;
      }
    };
    try {
      if (stage) await pipeline(input, counted, stage, consume);
      else await pipeline(input, consume);
    } catch (err) {
      // The consumer's own error wins over the abort it causes upstream.
      if (parseError !== undefined) throw parseError;
      if (readError) throw readError;
      if (err instanceof FileReadError) throw err;
      const e = err as NodeJS.ErrnoException;
      const what = compression === 'none' ? 'read error' : `corrupt or truncated ${compression} data`;
      throw new FileReadError(path, `${what}: ${(e.message ?? String(err)).replace(/\s+/g, ' ')}`, e.code ?? 'EBADDATA');
    }
    return { compression, fileBytes: st.size, contentBytes };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
