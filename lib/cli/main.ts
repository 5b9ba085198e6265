import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "@/lib/config";
import { tuneHeapForJobs } from "@/lib/backup/jobs/heap";

tuneHeapForJobs();

// Loaded before anything reads the environment; variables already set win over the file.
const envFile = path.join(projectRoot, ".env");
if (fs.existsSync(envFile)) process.loadEnvFile(envFile);

const USAGE = `Usage: safekeep <command> [options]

Commands:
  backup:create [--json] [--database-url URL] [--files DIR]... [--exclude GLOB]...
                                    Make a backup now, in the foreground, with a progress bar on a
                                    terminal; the options are for this run only (nothing is saved)
  backup:list [--json] [--remote [--destination ID]]
                                    List backups (--remote: the ones in each offsite bucket)
  backup:push <id>                  Copy a backup offsite again (resumes a half-done upload)
  backup:prune [--dry-run] [--json] [--local | --destination ID]
                                    Apply this server's and each destination's retention
                                    (--dry-run: only show what it would delete)
  backup:run <id>                   Run a queued backup (what the portal's background process does)
  backup:verify <file|name> [--json] [--identity FILE]
                                    Check an archive completely and print what it holds (a bare name,
                                    as backup:list prints it, is looked up in the backup directory)
  backup:restore <file> [--only database|files] [--map label=folder]... [--yes] [--no-safety-backup]
                [--identity FILE] [--allow-unencrypted]
                                    Restore from an archive (a name in the backup directory or a path)
  backup:restore s3://bucket/prefix/<name>.zip | --latest [--destination ID] [restore options]
                                    Fetch a backup from a bucket (SHA-256 checked), then restore it
  schedule:run [--once]             Start the scheduled backups (runs until stopped; --once looks once)
  restore:run <id>                  Run a queued restore (what the portal's background process does)
  backup:drill [file] [--json] [--identity FILE]
                                    Restore a backup (the newest by default) into scratch places and compare: a restore drill
  job:run <id>                      Run any queued job: backup, restore or verify (the background process)
  user:create --email E [--role admin|user] [--name N] [--password-stdin]
                                    Add a user; prints a generated password unless one comes on stdin
  admin:ensure                      Create the first admin (ADMIN_EMAIL/ADMIN_PASSWORD or a generated one)

Encrypted backups (.zip.age): --identity FILE is an age identity file (as age-keygen writes it); without
it the passphrase comes from BACKUP_ENCRYPTION_PASSPHRASE, the terminal, or the portal's settings.

Exit codes (backup:create, backup:restore, backup:verify, schedule:run --once):
  0   done, cleanly
  1   failed (the message says why), or the archive was refused
  2   completed with warnings (e.g. a file root that does not exist): printed at the end
  3   another backup or restore is running; nothing was started
  4   restore not confirmed; nothing was changed
  64  wrong usage (unknown command or option, a value that is not valid)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commands: Record<string, (args: string[]) => Promise<number>> = {
    "backup:create": async (args) => (await import("@/lib/cli/backup-create")).backupCreate(args),
    "backup:list": async (args) =>
      args.includes("--remote")
        ? (await import("@/lib/cli/offsite-commands")).backupListRemote(args)
        : (await import("@/lib/cli/backup-commands")).backupList(args),
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
    "backup:drill": async (args) => (await import("@/lib/cli/restore-commands")).backupDrill(args),
    "job:run": async (args) => (await import("@/lib/cli/backup-commands")).backupRun(args),
    "schedule:run": async (args) => (await import("@/lib/cli/schedule-commands")).scheduleRun(args),
    "user:create": async (args) => (await import("@/lib/cli/user-commands")).userCreate(args),
    "admin:ensure": async (args) => (await import("@/lib/cli/user-commands")).adminEnsure(args),
  };
  const run = command ? commands[command] : undefined;
  if (run && (rest.includes("--help") || rest.includes("-h"))) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!run) {
    process.stderr.write(command && command !== "help" && command !== "--help" ? `Unknown command: ${command}\n\n${USAGE}` : USAGE);
    return command === "help" || command === "--help" ? 0 : 64;
  }
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (error) => {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    const { isUsageError, EXIT } = await import("@/lib/cli/usage");
    process.exit(isUsageError(error) ? EXIT.usage : EXIT.failed);
  },
);
