import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * Writes a credentials file readable only by this user (0600) for a client program to read, so the
 * password never appears in its arguments, where `ps` would show it. Returns its path and a remover.
 */
export async function writeCredentialsFile(content: string): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "safekeep-cred-"));
  const file = path.join(dir, randomBytes(6).toString("hex"));
  await fs.writeFile(file, content, { mode: 0o600, flag: "wx" });
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** MySQL option files treat `#`, quotes and backslashes specially: quote and escape the value. */
export function mysqlOptionValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A .pgpass line: `:` and `\` are escaped with a backslash. */
export function pgpassField(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
}
