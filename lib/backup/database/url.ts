import { fromRoot, portalDatabaseFile } from "@/lib/config";

interface ServerFields {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  socket: string | null;
}
export type SqliteTarget = { kind: "sqlite"; file: string; isPortal: boolean };
export type MysqlTarget = ServerFields & { kind: "mysql" };
export type PostgresTarget = ServerFields & { kind: "postgres" };
export type ServerTarget = MysqlTarget | PostgresTarget;
export type DatabaseTarget = SqliteTarget | ServerTarget;

/**
 * Reads the database URL to back up. An empty URL means the portal's own SQLite database.
 * `?socket=/path` connects through a Unix socket instead of host and port.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url === "") return { kind: "sqlite", file: portalDatabaseFile(), isPortal: true };
  if (url.startsWith("file:")) {
    const file = fromRoot(url.slice("file:".length));
    return { kind: "sqlite", file, isPortal: file === portalDatabaseFile() };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("The database URL is not a valid URL");
  }
  const scheme = parsed.protocol.replace(/:$/, "");
  const kind = scheme === "mysql" || scheme === "mariadb" ? "mysql" : scheme === "postgres" || scheme === "postgresql" ? "postgres" : null;
  if (!kind) throw new Error(`Unsupported database URL scheme ${scheme}: use file:, mysql://, mariadb://, postgres:// or postgresql://`);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database || database.includes("/")) throw new Error("The database URL must name one database, e.g. mysql://user:password@host:3306/shop");
  return {
    kind: kind as ServerTarget["kind"],
    host: parsed.hostname || "127.0.0.1",
    port: Number(parsed.port) || (kind === "mysql" ? 3306 : 5432),
    user: decodeURIComponent(parsed.username) || (kind === "mysql" ? "root" : "postgres"),
    password: decodeURIComponent(parsed.password),
    database,
    socket: parsed.searchParams.get("socket"),
  };
}

/** How a database is named to people and in manifests: never with its password. */
export function describeTarget(target: DatabaseTarget): string {
  if (target.kind === "sqlite") return target.file;
  return `${target.kind} ${target.database} on ${target.socket ?? `${target.host}:${target.port}`} as ${target.user}`;
}
