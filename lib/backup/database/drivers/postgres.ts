import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";
import type { DatabaseDriver } from "@/lib/backup/database/driver";
import { queryScalar, runClient, type ClientSession } from "@/lib/backup/database/client";
import { writeCredentialsFile } from "@/lib/backup/database/credentials-file";
import { clientDumper, siblingProgram } from "@/lib/backup/database/dumpers/client-dumper";
import { describeServer, parseServerUrl, type ServerFields } from "@/lib/backup/database/url";
import { PsqlDumpScanner } from "@/lib/backup/database/client-commands/psql";
import { psqlHasRestrict } from "@/lib/backup/database/client-commands/client-guards";
import { linesOf, refuseUnsafeDump, scanDumpFile } from "@/lib/backup/database/client-commands/scan-file";
import { check, versionOf } from "@/lib/backup/jobs/check-result";
import type { DatabaseTools } from "@/lib/backup/config";

export type PostgresTarget = ServerFields & { kind: "postgres" };

export function psqlPath(pgDumpPath: string): string {
  return siblingProgram(pgDumpPath, "psql");
}

/**
 * libpq reads a database name containing `=` as a whole connection string (another host, another
 * passfile...): the name goes in as the one `dbname` value of a connection string, quoted.
 */
function dbnameArg(database: string): string {
  return `--dbname=dbname='${database.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A .pgpass field: `:` and `\` are escaped with a backslash. */
function pgpassField(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
}

/** The password travels in a 0600 passfile, so it is in no program's argv and in no environment variable. */
async function openSession(target: PostgresTarget): Promise<ClientSession> {
  const creds = await writeCredentialsFile(`*:*:*:${pgpassField(target.user)}:${pgpassField(target.password)}\n`);
  return {
    args: [`--host=${target.socket ?? target.host}`, `--port=${target.port}`, `--username=${target.user}`, "--no-password"],
    env: { PGPASSFILE: creds.file, PGCONNECT_TIMEOUT: "10" },
    installHint: "apt-get install postgresql-client",
    remove: creds.remove,
  };
}

async function query(settings: DatabaseTools, target: PostgresTarget, sql: string): Promise<string> {
  return queryScalar(psqlPath(settings.pgDumpPath), target, await openSession(target), ["-X", "-tA", "-c", sql, dbnameArg(target.database)]);
}

// Empties the database of everything the dump recreates (and anything made since) before loading it.
const PRELUDE = `
DO $$ DECLARE s record; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s.nspname);
  END LOOP;
END $$;
CREATE SCHEMA public;
`;

const UPGRADE = "use psql 17.6, 16.10, 15.14, 14.19, 13.22 or later (they have \\restrict) and set the pg_dump path in Settings to the folder it is in";

async function vetDump(settings: DatabaseTools, stagedFile: string): Promise<boolean> {
  const restrict = await psqlHasRestrict(psqlPath(settings.pgDumpPath));
  refuseUnsafeDump(await scanDumpFile(stagedFile, new PsqlDumpScanner()), { name: "psql", guarded: restrict, upgrade: UPGRADE });
  return restrict;
}

/**
 * The dump as psql gets it: pg_dump's own `\restrict`/`\unrestrict` lines taken out (the dump's key is
 * in the archive, so it guards nothing here), and, where psql has it, the whole load inside a
 * `\restrict` whose key exists only in this process: no meta-command in the dump can run.
 */
async function* guardedInput(stagedFile: string, restrict: boolean, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  if (restrict) yield Buffer.from(`\\restrict ${randomBytes(24).toString("hex")}\n`);
  yield Buffer.from(PRELUDE);
  const scanner = new PsqlDumpScanner();
  const counted = (async function* () {
    for await (const chunk of fs.createReadStream(stagedFile, { highWaterMark: 1024 * 1024 })) {
      onBytes((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  })();
  const newline = Buffer.from("\n");
  let batch: Buffer[] = [];
  let size = 0;
  for await (const line of linesOf(counted)) {
    if (scanner.line(line.toString("latin1")) === "restrict") continue;
    batch.push(line, newline);
    size += line.length + 1;
    if (size >= 1024 * 1024) {
      yield Buffer.concat(batch);
      batch = [];
      size = 0;
    }
  }
  if (batch.length) yield Buffer.concat(batch);
  // No \unrestrict: psql ends with the input, and nothing after the dump may run unrestricted.
}

export const postgresDriver: DatabaseDriver<"postgres", PostgresTarget> = {
  kind: "postgres",
  label: "PostgreSQL",
  schemes: ["postgres://", "postgresql://"],

  parse(url) {
    return {
      kind: "postgres",
      ...parseServerUrl(url, { port: 5432, user: "postgres", example: "postgres://user:password@host:5432/shop", maxNameLength: 63 }),
    };
  },

  describe: (target) => describeServer("postgres", target),
  isPortal: () => false,

  /**
   * pg_dump takes a consistent snapshot by itself. Plain SQL without owners or grants restores into the
   * same database under whatever user the portal connects as.
   */
  dumper(target, settings) {
    return clientDumper({
      kind: "postgres",
      target,
      openSession: () => openSession(target),
      dumpProgram: settings.pgDumpPath,
      sizeQuery: () => query(settings, target, "SELECT pg_database_size(current_database())"),
      dumpArgs: ["--format=plain", "--no-owner", "--no-privileges", "--encoding=UTF8", dbnameArg(target.database)],
    });
  },

  async vet(_target, stagedFile, settings) {
    await vetDump(settings, stagedFile);
  },

  /** Loads in one transaction: if anything fails, PostgreSQL itself leaves the database as it was. */
  async load(target, stagedFile, settings, onBytes) {
    const restrict = await vetDump(settings, stagedFile);
    const session = await openSession(target);
    try {
      const run = runClient(
        psqlPath(settings.pgDumpPath),
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", dbnameArg(target.database)],
        session,
        target,
        { stdin: Readable.from(guardedInput(stagedFile, restrict, onBytes)) },
      );
      run.stdout?.resume();
      await run.done;
    } finally {
      await session.remove();
    }
  },

  async drill(target, stagedFile, settings, scratchName) {
    const scratch: PostgresTarget = { ...target, database: scratchName };
    const name = `"${scratchName.replace(/"/g, '""')}"`;
    await query(settings, target, `CREATE DATABASE ${name}`);
    try {
      await postgresDriver.load(scratch, stagedFile, settings, () => {});
      const base = "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')";
      const tables = Number(await query(settings, scratch, `SELECT count(*) ${base}`));
      const rows = Number(
        await query(
          settings,
          scratch,
          `SELECT COALESCE(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text::bigint), 0) ${base}`,
        ),
      );
      return { tables, rows, place: describeServer("postgres", scratch) };
    } finally {
      await query(settings, target, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    }
  },

  async checks(target, settings) {
    const client = psqlPath(settings.pgDumpPath);
    return [
      await versionOf(settings.pgDumpPath, "pg_dump"),
      await versionOf(client, "psql (for restores)"),
      await check("Client commands in restores", async () => {
        if (await psqlHasRestrict(client)) return `${client} has \\restrict: restores load dumps with psql's meta-commands (\\!, \\connect, \\o) switched off`;
        return `${client} has no \\restrict: restores refuse every dump they cannot prove free of meta-commands; ${UPGRADE}`;
      }),
      await check("Database", async () => `${describeServer("postgres", target)}: ${(await query(settings, target, "SELECT version()")).split(" on ")[0]}`),
    ];
  },
};
