import fs from "node:fs/promises";
import { AgeError, openAgeFile, type AgeKeys } from "@/lib/backup/crypto/age";
import { readAt } from "@/lib/backup/archive/positioned-read";

/** What a restore or verify reads an archive through: any part of its plaintext, by position. */
export interface ArchiveSource {
  /** Bytes of the zip (the plaintext, for an encrypted archive). */
  size: number;
  encrypted: boolean;
  /** Into `into` where the source can (a plain file read), when it is large enough; else into new memory. */
  read(length: number, position: number, into?: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

/** The key for an encrypted archive: the owner's identities or passphrase, or the file key a writer kept. */
export type ArchiveKeys = AgeKeys | { fileKey: Buffer };

const AGE_MAGIC = Buffer.from("age-encryption.org/v1\n");

export class ArchiveKeyError extends Error {}

/** Encrypted or not is told by the file's first bytes, never by its name: a renamed file is read as what it is. */
export async function isAgeFile(handle: fs.FileHandle): Promise<boolean> {
  const head = await readAt(handle, AGE_MAGIC.length, 0);
  return head.equals(AGE_MAGIC);
}

export async function isEncryptedArchive(file: string): Promise<boolean> {
  const handle = await fs.open(file, "r");
  try {
    return await isAgeFile(handle);
  } finally {
    await handle.close();
  }
}

/**
 * Opens an archive for positioned reads. An encrypted one is decrypted chunk by chunk as it is read (age's
 * 64 KiB chunks, each authenticated), so no plaintext copy of the archive is ever written to disk.
 */
export async function openArchiveSource(file: string, keys?: ArchiveKeys | null): Promise<ArchiveSource> {
  const handle = await fs.open(file, "r");
  try {
    if (await isAgeFile(handle)) {
      if (!keys) throw new ArchiveKeyError("This backup is encrypted: give its private key (an age identity file) or its passphrase");
      const reader = await openAgeFile(handle, keys);
      const read = smallReadsFromBlocks(reader.size, (length, position) => reader.read(length, position), false);
      return { size: reader.size, encrypted: true, read, close: () => handle.close() };
    }
    const { size } = await handle.stat();
    const read = smallReadsFromBlocks(size, (length, position, into) => readAt(handle, length, position, into), true);
    return { size, encrypted: false, read, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    if (error instanceof AgeError) throw new ArchiveKeyError(error.message);
    throw error;
  }
}

const BLOCK = 256 * 1024;
const SMALL_READ = 16 * 1024;
const KEPT_BLOCKS = 4;

interface Block {
  data: Promise<Buffer>;
  /** Its memory, to be read into again once the block is read, dropped, and no reader is copying from it. */
  memory: Buffer | null;
  /** Readers between asking for the block and having copied from it. */
  users: number;
  read: boolean;
  dropped: boolean;
}

/**
 * Small reads (a central directory record, a local header, a small file's data) served from the 256 KiB
 * blocks around them, read once: each asynchronous read costs Node about 60 µs however small, and a
 * 20,000-file archive asked for some 60,000 of them. Large reads go straight through. A few blocks are
 * kept, since a restore reads several entries at once.
 *
 * A dropped block's memory is read into again (where the underlying read can): a block lives long enough
 * to be promoted out of the young generation, so new memory for each would be held until a full
 * collection, some 60 MB of it at a time while a 200,000-file archive is read.
 */
function smallReadsFromBlocks(
  size: number,
  read: (length: number, position: number, into?: Buffer) => Promise<Buffer>,
  readsInto: boolean,
): ArchiveSource["read"] {
  const blocks = new Map<number, Block>();
  const spare: Buffer[] = [];
  const recycle = (b: Block) => {
    if (b.memory && b.read && b.dropped && b.users === 0) {
      if (spare.length < KEPT_BLOCKS) spare.push(b.memory);
      b.memory = null;
    }
  };
  const block = (index: number): Block => {
    let b = blocks.get(index);
    if (b) {
      blocks.delete(index);
    } else {
      const memory = readsInto ? (spare.pop() ?? Buffer.allocUnsafe(BLOCK)) : null;
      const created: Block = {
        memory,
        users: 0,
        read: false,
        dropped: false,
        data: read(Math.min(BLOCK, size - index * BLOCK), index * BLOCK, memory ?? undefined),
      };
      created.data.then(
        () => {
          created.read = true;
          recycle(created);
        },
        () => {
          // Never read into again: the failed read may still be writing to it.
          created.memory = null;
          if (blocks.get(index) === created) blocks.delete(index);
        },
      );
      b = created;
    }
    blocks.set(index, b);
    if (blocks.size > KEPT_BLOCKS) {
      const [oldIndex, old] = blocks.entries().next().value!;
      blocks.delete(oldIndex);
      old.dropped = true;
      recycle(old);
    }
    return b;
  };
  return async (length, position, into) => {
    const end = Math.min(size, position + length);
    if (length > SMALL_READ || end <= position) return read(length, position, readsInto ? into : undefined);
    const held: Block[] = [];
    for (let index = Math.floor(position / BLOCK); index * BLOCK < end; index++) {
      const b = block(index);
      b.users++;
      held.push(b);
    }
    try {
      const parts: Buffer[] = [];
      const first = Math.floor(position / BLOCK);
      for (const [i, b] of held.entries()) {
        const index = first + i;
        const data = await b.data;
        parts.push(data.subarray(Math.max(position, index * BLOCK) - index * BLOCK, Math.min(end, (index + 1) * BLOCK) - index * BLOCK));
      }
      // A copy: the caller may keep it, and must not pin (or change) a whole block.
      return Buffer.concat(parts);
    } finally {
      for (const b of held) {
        b.users--;
        recycle(b);
      }
    }
  };
}
