import fs from "node:fs/promises";
import path from "node:path";

export type Located = { found: true; path: string } | { found: false; problem: string };

const isFile = (p: string) =>
  fs.stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * An archive named on the command line: a path as given, or a bare file name as `backup:list` prints it,
 * looked up in the backup directory (the settings say where; reading them needs the portal's database,
 * so a plain path keeps working without one, as disaster recovery needs).
 */
export async function locateArchive(given: string): Promise<Located> {
  const asGiven = path.resolve(given);
  if (await isFile(asGiven)) return { found: true, path: asGiven };
  if (given.includes("/") || given.includes(path.sep)) return { found: false, problem: `no such file: ${asGiven}` };
  const dir = await import("@/lib/settings").then(async ({ loadSettings, resolvedBackupDir }) => resolvedBackupDir(await loadSettings())).catch(() => null);
  if (!dir) return { found: false, problem: `no such file: ${asGiven} (and the backup directory is unknown: the portal's database cannot be read)` };
  const inBackupDir = path.join(dir, given);
  if (await isFile(inBackupDir)) return { found: true, path: inBackupDir };
  return { found: false, problem: `no such file: ${given} (not in ${process.cwd()}, nor in the backup directory ${dir})` };
}
