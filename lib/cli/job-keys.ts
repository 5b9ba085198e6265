import fs from "node:fs";
import readline from "node:readline";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { parseIdentityFile } from "@/lib/backup/crypto/age";
import { parseSerializedKeys } from "@/lib/backup/crypto/keys";

const MAX_KEY_INPUT = 64 * 1024;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_KEY_INPUT) throw new Error("Too much input on stdin for a key");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The portal's worker: a key given for this job arrives on stdin (`--keys-on-stdin`), never in argv or env. */
export async function keysFromStdin(): Promise<AgeKeys | null> {
  return parseSerializedKeys(await readAll(process.stdin));
}

/** Asks on the terminal without echoing what is typed. */
async function askHidden(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput(text: string): void };
  let asked = false;
  output._writeToOutput = (text: string) => {
    if (!asked) {
      process.stderr.write(text);
      asked = true;
    }
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stderr.write("\n");
  }
}

/**
 * The key for `backup:verify`/`backup:restore`/`backup:drill` of an encrypted archive: `--identity FILE`
 * (an age identity file as age-keygen writes it), else BACKUP_ENCRYPTION_PASSPHRASE, else the passphrase
 * typed on a terminal when the archive needs one and there is a terminal. Null: the portal's own settings.
 */
export async function cliKeys(options: { identity?: string; encrypted: boolean }): Promise<AgeKeys | null> {
  if (options.identity) {
    const text = await fs.promises.readFile(options.identity, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new Error(`The key file ${options.identity} could not be read (${error.code ?? error.message})`);
    });
    // A key file holds identities only: anything else is a wrong file, never taken as a passphrase.
    try {
      return { identities: parseIdentityFile(text) };
    } catch (error) {
      throw new Error(`${options.identity}: ${(error as Error).message}`);
    }
  }
  if (process.env.BACKUP_ENCRYPTION_PASSPHRASE) return { passphrase: process.env.BACKUP_ENCRYPTION_PASSPHRASE };
  if (options.encrypted && process.stdin.isTTY) {
    const typed = await askHidden("This backup is encrypted. Passphrase (or run again with --identity FILE): ");
    return typed ? { passphrase: typed } : null;
  }
  return null;
}
