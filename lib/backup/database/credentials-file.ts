import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { fromRoot } from "@/lib/config";

/**
 * Credentials files live in the portal's own private folder, never in the shared temporary folder: a
 * process killed while a client runs (a cancel, a crash) leaves its file behind, and only here can the
 * portal find it again and remove it. Each file's name carries the process that wrote it.
 */
export function credentialsDir(): string {
  return fromRoot("var/run/credentials");
}

async function ensureCredentialsDir(): Promise<string> {
  const dir = credentialsDir();
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await fs.lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} must be a folder for the database credentials files, not a link or a file`);
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) {
    throw new Error(`${dir} belongs to another user: the database credentials cannot be kept private there`);
  }
  // An existing folder made with a looser umask is tightened, not trusted.
  if ((stat.mode & 0o777) !== 0o700) await fs.chmod(dir, 0o700);
  return dir;
}

/** When a process started, in clock ticks since boot: with the pid, it names one process even after the pid is reused. */
function startTimeOf(pid: number | "self"): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Field 22 of stat(5), counted from the state field (3): index 19; a zombie has finished its work.
    return fields[0] === "Z" ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

function ownerIsAlive(pid: number, startTime: string): boolean {
  if (startTime === "0") {
    // No /proc here: the pid alone says it.
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  return startTimeOf(pid) === startTime;
}

const FILE_NAME = /^(\d+)-(\d+)-[0-9a-f]{12}$/;

/**
 * Writes a credentials file readable only by this user (0600) for a client program to read, so the
 * password never appears in its arguments, where `ps` would show it. Returns its path and a remover.
 */
export async function writeCredentialsFile(content: string): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await ensureCredentialsDir();
  const file = path.join(dir, `${process.pid}-${startTimeOf("self") ?? "0"}-${randomBytes(6).toString("hex")}`);
  await fs.writeFile(file, content, { mode: 0o600, flag: "wx" });
  return { file, remove: () => fs.rm(file, { force: true }) };
}

/**
 * Removes the credentials files of processes that have ended (killed mid-dump, cancelled, crashed).
 * Files of running processes stay: they are in use. Returns how many were removed.
 */
export async function removeStaleCredentials(): Promise<number> {
  const names = await fs.readdir(credentialsDir()).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match || ownerIsAlive(Number(match[1]), match[2]!)) continue;
    await fs.rm(path.join(credentialsDir(), name), { force: true });
    removed++;
  }
  return removed;
}
