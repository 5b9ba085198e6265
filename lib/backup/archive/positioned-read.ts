import type { FileHandle } from "node:fs/promises";

/** Up to `length` bytes of the file at `position`; fewer only where the file ends. Into `into` when it is given and large enough. */
export async function readAt(handle: FileHandle, length: number, position: number, into?: Buffer): Promise<Buffer> {
  const buffer = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done < length ? buffer.subarray(0, done) : buffer;
}
