import type { DatabaseDriver, DrillCount } from "@/lib/backup/database/driver";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";
import type { CheckResult } from "@/lib/backup/jobs/check-result";
import type { DatabaseConfig, DatabaseTools } from "@/lib/backup/config";
import { mysqlDriver } from "@/lib/backup/database/drivers/mysql";
import { postgresDriver } from "@/lib/backup/database/drivers/postgres";
import { sqliteDriver } from "@/lib/backup/database/drivers/sqlite";

/** Every kind of database the portal backs up. A new kind is one file in drivers/ and one line here. */
const drivers = [sqliteDriver, mysqlDriver, postgresDriver] as const;

type AnyDriver = (typeof drivers)[number];
export type DatabaseKind = AnyDriver["kind"];
export type DatabaseTarget = ReturnType<AnyDriver["parse"]>;
// The engine holds targets of every kind; each driver only ever receives its own.
type Driver = DatabaseDriver<DatabaseKind, DatabaseTarget>;

function driverOf(target: DatabaseTarget): Driver {
  return drivers.find((d) => d.kind === target.kind) as unknown as Driver;
}

function schemeOf(url: string): string | null {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1] ?? null;
}

function driverForUrl(url: string): Driver | undefined {
  const lower = url.toLowerCase();
  return drivers.find((d) => (url === "" ? d.ownsEmptyUrl : d.schemes.some((s) => lower.startsWith(s)))) as Driver | undefined;
}

const schemeList = () => drivers.flatMap((d) => d.schemes);

/** What the settings page says about a URL of no known kind. */
export function databaseUrlHint(): string {
  return `Use ${schemeList()
    .join(", ")
    .replace(/, ([^,]*)$/, " or $1")} (empty means the portal's own database)`;
}

/** Whether a database URL names a kind the portal knows (the settings form checks only this much). */
export function isKnownDatabaseUrl(url: string): boolean {
  return driverForUrl(url) !== undefined;
}

export function isDatabaseKind(value: unknown): value is DatabaseKind {
  return drivers.some((d) => d.kind === value);
}

/**
 * Reads the database URL to back up. An empty URL means the portal's own SQLite database.
 * `?socket=/path` connects through a Unix socket instead of host and port.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const driver = driverForUrl(url);
  if (!driver) {
    throw new Error(`Unsupported database URL scheme ${schemeOf(url) ?? "(none)"}: ${databaseUrlHint().replace(/^Use /, "use ")}`);
  }
  return driver.parse(url);
}

/** How a database is named to people and in manifests: never with its password. */
export function describeTarget(target: DatabaseTarget): string {
  return driverOf(target).describe(target);
}

/** The portal's own database: restoring it replaces the portal's own records too. */
export function isPortalDatabase(target: DatabaseTarget): boolean {
  return driverOf(target).isPortal(target);
}

/** Picks the dumper from the database URL's scheme; an empty URL means the portal's own database. */
export function dumperFor(settings: DatabaseConfig): DatabaseDumper {
  const target = parseDatabaseUrl(settings.databaseUrl);
  return driverOf(target).dumper(target, settings);
}

/**
 * Reads a staged dump before anything is changed and refuses one that must not be loaded (a damaged
 * SQLite file, a dump with client commands in it), with a sentence saying why.
 */
export function vetStagedDump(target: DatabaseTarget, stagedFile: string, settings: DatabaseTools): Promise<void> {
  return driverOf(target).vet(target, stagedFile, settings);
}

/** Replaces the configured database's contents with a staged dump. */
export function loadDatabase(target: DatabaseTarget, stagedFile: string, settings: DatabaseTools, onBytes: (n: number) => void): Promise<void> {
  return driverOf(target).load(target, stagedFile, settings, onBytes);
}

/** Loads a staged dump into a throwaway database beside the configured one, counts it, drops it (restore drills). */
export function drillDatabase(target: DatabaseTarget, stagedFile: string, settings: DatabaseTools, scratchName: string): Promise<DrillCount> {
  return driverOf(target).drill(target, stagedFile, settings, scratchName);
}

/** The settings page's checks for the configured database: its programs, their versions, a connection. */
export function databaseChecks(target: DatabaseTarget, settings: DatabaseTools): Promise<CheckResult[]> {
  return driverOf(target).checks(target, settings);
}
