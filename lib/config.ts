import path from "node:path";

// Everything here comes from the environment once per process; settings stored in the database come on top.

export const projectRoot = process.env.SAFEKEEP_ROOT ? path.resolve(process.env.SAFEKEEP_ROOT) : process.cwd();

export function fromRoot(p: string): string {
  return path.resolve(projectRoot, p);
}

/** The portal's own database: always SQLite, so a fresh machine needs no other server. */
export function portalDatabaseFile(): string {
  const url = process.env.DATABASE_URL ?? "file:./var/data/safekeep.db";
  if (!url.startsWith("file:")) {
    throw new Error(`DATABASE_URL must be a SQLite file: URL (got a ${url.split(":")[0]}: URL)`);
  }
  return fromRoot(url.slice("file:".length));
}

/** The CLI the background process runs: built by `npm run build:cli`. */
export function cliEntry(): string {
  return process.env.SAFEKEEP_CLI ? path.resolve(process.env.SAFEKEEP_CLI) : fromRoot("dist/cli.mjs");
}

export function appUrl(): string {
  return (process.env.APP_URL ?? process.env.NEXTAUTH_URL ?? "http://localhost:3000").replace(/\/$/, "");
}
