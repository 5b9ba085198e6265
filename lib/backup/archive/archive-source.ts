import fs from "node:fs/promises";
import { AgeError, openAgeFile, type AgeKeys } from "@/lib/backup/crypto/age";
import { readAt } from "@/lib/backup/archive/positioned-read";

/** What a restore or verify reads an archive through: any part of its plaintext, by position. */
export interface ArchiveSource {
  /** Bytes of the zip (the plaintext, for an encrypted archive). */
  size: number;
  encrypted: boolean;
  read(length: number, position: number): Promise<Buffer>;
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
      return { size: reader.size, encrypted: true, read: (length, position) => reader.read(length, position), close: () => handle.close() };
    }
    const { size } = await handle.stat();
    return { size, encrypted: false, read: (length, position) => readAt(handle, length, position), close: () => handle.close() };
  } catch (error) {
    await handle.close();
    if (error instanceof AgeError) throw new ArchiveKeyError(error.message);
    throw error;
  }
}
