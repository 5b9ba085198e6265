import { promisify } from "node:util";
import { constants, deflateRaw, type ZlibOptions } from "node:zlib";

const deflateRawAsync = promisify(deflateRaw) as (data: Buffer, options: ZlibOptions) => Promise<Buffer>;

/** Big enough that priming each block with a dictionary costs little, small enough to keep memory flat. */
const BLOCK = 1024 * 1024;
/** One pool thread stays free for the reads and writes that feed and drain the blocks. */
const IN_FLIGHT = 3;
const WINDOW = 32 * 1024;
/** An empty final block with fixed codes: ends a deflate stream whose blocks were all sync-flushed. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * Deflates one stream on several cores, as pigz does: the input is cut into blocks deflated at once in
 * the thread pool, each primed with the 32 KB before it (so matches still reach back across the cut) and
 * ended with a sync flush (so each ends on a byte boundary). Their outputs, in order, followed by an empty
 * final block, are one standard raw deflate stream that any inflater reads. A single zlib stream uses
 * one core, and a dump or a large file would otherwise leave the other one idle.
 */
export async function* deflateInParallel(source: AsyncIterable<Buffer>, level: number): AsyncGenerator<Buffer> {
  const pending: Promise<Buffer>[] = [];
  let dictionary: Buffer | null = null;
  let parts: Buffer[] = [];
  let gathered = 0;

  const start = (block: Buffer) => {
    const options: ZlibOptions = { level, memLevel: 9, finishFlush: constants.Z_SYNC_FLUSH };
    if (dictionary) options.dictionary = dictionary;
    const promise = deflateRawAsync(block, options);
    promise.catch(() => {});
    pending.push(promise);
    // A copy: the dictionary must not pin the whole block in memory.
    dictionary = Buffer.from(block.subarray(Math.max(0, block.length - WINDOW)));
  };

  for await (const chunk of source) {
    parts.push(chunk);
    gathered += chunk.length;
    // Cut at exact block sizes, so the same input always gives the same archive.
    while (gathered >= BLOCK) {
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, gathered);
      start(all.subarray(0, BLOCK));
      parts = gathered > BLOCK ? [all.subarray(BLOCK)] : [];
      gathered -= BLOCK;
      while (pending.length >= IN_FLIGHT) yield await pending.shift()!;
    }
  }
  if (gathered > 0) start(Buffer.concat(parts, gathered));
  while (pending.length) yield await pending.shift()!;
  yield FINAL_BLOCK;
}
