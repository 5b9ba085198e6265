import fs from "node:fs";
import { Readable } from "node:stream";
import type { DatabaseDriver } from "@/lib/backup/database/driver";
import { runClient, queryScalar, type ClientSession } from "@/lib/backup/database/client";
import { writeCredentialsFile } from "@/lib/backup/database/credentials-file";
import { clientDumper, siblingProgram } from "@/lib/backup/database/dumpers/client-dumper";
import { describeServer, parseServerUrl, type ServerFields } from "@/lib/backup/database/url";
import { MysqlDumpScanner } from "@/lib/backup/database/client-commands/mysql";
import { mysqlHasSandbox } from "@/lib/backup/database/client-commands/client-guards";
import { refuseUnsafeDump, scanDumpFile } from "@/lib/backup/database/client-commands/scan-file";
import { check, versionOf } from "@/lib/backup/jobs/check-result";
import type { DatabaseTools } from "@/lib/backup/config";

export type MysqlTarget = ServerFields & { kind: "mysql" };

export function mysqlClientPath(mysqldumpPath: string): string {
  return siblingProgram(mysqldumpPath, "mysql");
}

/** MySQL option files treat `#`, quotes and backslashes specially: quote and escape the value. */
function optionValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The user and password travel in a 0600 option file, so they are in no program's argv and in no
 * environment variable; the database name is given only as `--database=` or after `--`, never where
 * a name like `--version` could be read as an option.
 */
async function openSession(target: MysqlTarget): Promise<ClientSession> {
  const creds = await writeCredentialsFile(`[client]\nuser=${optionValue(target.user)}\npassword=${optionValue(target.password)}\n`);
  const where = target.socket ? [`--socket=${target.socket}`] : [`--host=${target.host}`, `--port=${target.port}`, "--protocol=TCP"];
  // --defaults-extra-file must come first: the MySQL clients only honour it there.
  return { args: [`--defaults-extra-file=${creds.file}`, ...where], env: {}, installHint: "apt-get install mariadb-client", remove: creds.remove };
}

async function query(settings: DatabaseTools, target: MysqlTarget, sql: string): Promise<string> {
  return queryScalar(mysqlClientPath(settings.mysqldumpPath), target, await openSession(target), ["-N", "-B", "-e", sql, `--database=${target.database}`]);
}

/** Everything the dump will recreate, and anything made since, goes first: the result equals the backup. */
async function dropEverything(settings: DatabaseTools, target: MysqlTarget): Promise<string> {
  const sql = `
    SELECT CONCAT('DROP ', IF(table_type = 'VIEW', 'VIEW', 'TABLE'), ' IF EXISTS \`', REPLACE(table_name, '\`', '\`\`'), '\`;')
      FROM information_schema.tables WHERE table_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('DROP ', routine_type, ' IF EXISTS \`', REPLACE(routine_name, '\`', '\`\`'), '\`;')
      FROM information_schema.routines WHERE routine_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('DROP EVENT IF EXISTS \`', REPLACE(event_name, '\`', '\`\`'), '\`;')
      FROM information_schema.events WHERE event_schema = DATABASE()`;
  return `SET FOREIGN_KEY_CHECKS = 0;\n${await query(settings, target, sql)}\nSET FOREIGN_KEY_CHECKS = 1;\n`;
}

const DEFINER = /DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/g;
/** New mysqldumps start with this; a client without --sandbox stops at it as an unknown command. */
const SANDBOX_LINE = /^\/\*M!999999\\- enable the sandbox mode \*\/[ \t]*$/m;

/**
 * Views, triggers and routines carry the account that made them (DEFINER); loading them as another
 * account needs SUPER. Dropping the clause makes the restoring account their definer instead.
 */
async function* adapted(chunks: AsyncIterable<Buffer>, sandbox: boolean): AsyncGenerator<Buffer> {
  let carry = "";
  let first = true;
  const adapt = (text: string) => {
    let out = text.replace(DEFINER, "");
    if (first && !sandbox) out = out.replace(SANDBOX_LINE, "");
    first = false;
    return Buffer.from(out);
  };
  for await (const chunk of chunks) {
    const text = carry + chunk.toString("utf8");
    const cut = text.lastIndexOf("\n") + 1;
    carry = text.slice(cut);
    if (cut > 0) yield adapt(text.slice(0, cut));
  }
  if (carry) yield adapt(carry);
}

const UPGRADE = "use a mysql client with --sandbox (MariaDB 10.5.25, 10.6.18, 10.11.8 or later) and set the mysqldump path in Settings to the folder it is in";

/** Refuses a dump with client commands in it (and, under a client without --sandbox, one the scan cannot be sure of). */
async function vetDump(settings: DatabaseTools, stagedFile: string): Promise<boolean> {
  const sandbox = await mysqlHasSandbox(mysqlClientPath(settings.mysqldumpPath));
  refuseUnsafeDump(await scanDumpFile(stagedFile, new MysqlDumpScanner()), { name: "mysql", guarded: sandbox, upgrade: UPGRADE });
  return sandbox;
}

export const mysqlDriver: DatabaseDriver<"mysql", MysqlTarget> = {
  kind: "mysql",
  label: "MySQL/MariaDB",
  schemes: ["mysql://", "mariadb://"],

  parse(url) {
    return { kind: "mysql", ...parseServerUrl(url, { port: 3306, user: "root", example: "mysql://user:password@host:3306/shop", maxNameLength: 64 }) };
  },

  describe: (target) => describeServer("mysql", target),
  isPortal: () => false,

  /**
   * mysqldump in one consistent snapshot (--single-transaction) without locking the site, row by row
   * (--quick), streamed straight into the archive: no dump is ever held in memory or on disk.
   */
  dumper(target, settings) {
    return clientDumper({
      kind: "mysql",
      target,
      openSession: () => openSession(target),
      dumpProgram: settings.mysqldumpPath,
      sizeQuery: () => query(settings, target, "SELECT COALESCE(SUM(data_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE()"),
      dumpArgs: [
        "--single-transaction",
        "--quick",
        "--routines",
        "--triggers",
        "--events",
        "--hex-blob",
        "--no-tablespaces",
        "--default-character-set=utf8mb4",
        "--skip-dump-date",
        "--",
        target.database,
      ],
    });
  },

  async vet(_target, stagedFile, settings) {
    await vetDump(settings, stagedFile);
  },

  /**
   * The dump is read for client commands first (nothing is loaded if it has any), then loaded by a
   * client in --sandbox mode where it has one, so that even a command the scan missed is refused.
   */
  async load(target, stagedFile, settings, onBytes) {
    const sandbox = await vetDump(settings, stagedFile);
    const prelude = await dropEverything(settings, target);
    const session = await openSession(target);
    try {
      const input = Readable.from(
        (async function* () {
          // Without a sandbox the scan must read strings as the client does: backslash escapes on.
          yield Buffer.from(sandbox ? prelude : `SET SESSION sql_mode = '';\n${prelude}`);
          const counted = (async function* () {
            for await (const chunk of fs.createReadStream(stagedFile, { highWaterMark: 1024 * 1024 })) {
              onBytes((chunk as Buffer).length);
              yield chunk as Buffer;
            }
          })();
          yield* adapted(counted, sandbox);
        })(),
      );
      const args = [...(sandbox ? ["--sandbox"] : []), "--default-character-set=utf8mb4", `--database=${target.database}`];
      const run = runClient(mysqlClientPath(settings.mysqldumpPath), args, session, target, { stdin: input });
      run.stdout?.resume();
      await run.done;
    } finally {
      await session.remove();
    }
  },

  async drill(target, stagedFile, settings, scratchName) {
    const scratch: MysqlTarget = { ...target, database: scratchName };
    const name = `\`${scratchName.replace(/`/g, "``")}\``;
    await query(settings, target, `CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    try {
      await mysqlDriver.load(scratch, stagedFile, settings, () => {});
      const base = "FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'";
      const tables = Number(await query(settings, scratch, `SELECT COUNT(*) ${base}`));
      const counting = await query(
        settings,
        scratch,
        `SET SESSION group_concat_max_len = 16777216; SELECT GROUP_CONCAT(CONCAT('SELECT COUNT(*) AS n FROM \`', REPLACE(table_name, '\`', '\`\`'), '\`') SEPARATOR ' UNION ALL ') ${base}`,
      );
      const rows = tables ? Number(await query(settings, scratch, `SELECT COALESCE(SUM(n), 0) FROM (${counting}) AS counts`)) : 0;
      return { tables, rows, place: describeServer("mysql", scratch) };
    } finally {
      await query(settings, target, `DROP DATABASE IF EXISTS ${name}`).catch(() => {});
    }
  },

  async checks(target, settings) {
    const client = mysqlClientPath(settings.mysqldumpPath);
    return [
      await versionOf(settings.mysqldumpPath, "mysqldump"),
      await versionOf(client, "mysql client (for restores)"),
      await check("Client commands in restores", async () => {
        if (await mysqlHasSandbox(client))
          return `${client} has --sandbox: restores load dumps with the client's own commands (\\!, system, source) switched off`;
        return `${client} has no --sandbox: restores refuse every dump they cannot prove free of client commands; ${UPGRADE}`;
      }),
      await check("Database", async () => `${describeServer("mysql", target)}: MariaDB/MySQL ${await query(settings, target, "SELECT VERSION()")}`),
    ];
  },
};
