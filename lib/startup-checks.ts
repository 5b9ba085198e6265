import { prisma } from "@/lib/db";
import { defaultSettings, isInsidePublic } from "@/lib/settings";

/**
 * What must hold before the portal serves anyone. A backup directory inside public/ would publish every
 * backup to the world: the environment default and a stored value are both checked (the settings form
 * refuses such a value, but the database may have been edited by hand).
 */
export async function startupProblems(env: Record<string, string | undefined> = process.env): Promise<string[]> {
  const problems: string[] = [];
  const fromEnv = defaultSettings(env as NodeJS.ProcessEnv).backupDir;
  if (isInsidePublic(fromEnv)) {
    problems.push(`BACKUP_DIR=${fromEnv} is inside public/, where anyone could download the backups: choose a directory outside public/.`);
  }
  const stored = await prisma.setting.findUnique({ where: { key: "backupDir" } }).catch(() => null);
  if (stored) {
    const value = JSON.parse(stored.value) as unknown;
    if (typeof value === "string" && isInsidePublic(value)) {
      problems.push(
        `The stored backup directory ${value} is inside public/, where anyone could download the backups: change it in the database or remove the setting.`,
      );
    }
  }
  return problems;
}

/** Called by instrumentation.ts when the server starts: says what is wrong and exits. */
export async function refuseToStartOnProblems(): Promise<void> {
  const problems = await startupProblems();
  if (problems.length === 0) return;
  for (const problem of problems) console.error(`Safekeep refuses to start: ${problem}`);
  process.exit(1);
}
