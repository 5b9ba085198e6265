import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "@/lib/config";

// Loaded before anything reads the environment; variables already set win over the file.
const envFile = path.join(projectRoot, ".env");
if (fs.existsSync(envFile)) process.loadEnvFile(envFile);

const USAGE = `Usage: safekeep <command> [options]

Commands:
  backup:create [--json]            Make a backup now, in the foreground, and print a summary
  backup:list [--json] [--remote [--destination ID]]
                                    List backups (--remote: the ones in each offsite bucket)
  backup:push <id>                  Copy a backup offsite again (resumes a half-done upload)
  backup:prune [--dry-run] [--json] Apply each offsite destination's retention (--dry-run: only show it)
  backup:run <id>                   Run a queued backup (what the portal's background process does)
  backup:verify <file> [--json]     Check an archive completely and print what it holds
  backup:restore <file> [--only database|files] [--yes] [--no-safety-backup]
                                    Restore from an archive (a name in the backup directory or a path)
  backup:restore s3://bucket/prefix/<name>.zip | --latest [--destination ID] [restore options]
                                    Fetch a backup from a bucket (SHA-256 checked), then restore it
  schedule:run [--once]             Start the scheduled backups (runs until stopped; --once looks once)
  restore:run <id>                  Run a queued restore (what the portal's background process does)
  user:create --email E [--role admin|user] [--name N] [--password-stdin]
                                    Add a user; prints a generated password unless one comes on stdin
  admin:ensure                      Create the first admin (ADMIN_EMAIL/ADMIN_PASSWORD or a generated one)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commands: Record<string, (args: string[]) => Promise<number>> = {
    "backup:create": async (args) => (await import("@/lib/cli/backup-commands")).backupCreate(args),
    "backup:list": async (args) =>
      args.includes("--remote") ? (await import("@/lib/cli/offsite-commands")).backupListRemote(args) : (await import("@/lib/cli/backup-commands")).backupList(args),
    "backup:push": async (args) => (await import("@/lib/cli/offsite-commands")).backupPush(args),
    "backup:prune": async (args) => (await import("@/lib/cli/offsite-commands")).backupPrune(args),
    "backup:run": async (args) => (await import("@/lib/cli/backup-commands")).backupRun(args),
    "backup:verify": async (args) => (await import("@/lib/cli/restore-commands")).backupVerify(args),
    "backup:restore": async (args) => {
      const local = (await import("@/lib/cli/restore-commands")).backupRestore;
      const remote = args[0]?.startsWith("s3://") || args.includes("--latest");
      return remote ? (await import("@/lib/cli/offsite-commands")).backupRestoreRemote(args, local) : local(args);
    },
    "restore:run": async (args) => (await import("@/lib/cli/restore-commands")).restoreRun(args),
    "schedule:run": async (args) => (await import("@/lib/cli/schedule-commands")).scheduleRun(args),
    "user:create": async (args) => (await import("@/lib/cli/user-commands")).userCreate(args),
    "admin:ensure": async (args) => (await import("@/lib/cli/user-commands")).adminEnsure(args),
  };
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stderr.write(command && command !== "help" && command !== "--help" ? `Unknown command: ${command}\n\n${USAGE}` : USAGE);
    return command === "help" || command === "--help" ? 0 : 2;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
