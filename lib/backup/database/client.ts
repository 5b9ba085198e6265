import { execa } from "execa";
import type { Readable } from "node:stream";
import type { ServerFields } from "@/lib/backup/database/url";

/**
 * How a client program reaches the server: arguments that select the server and the credentials file
 * (never the password itself), its environment, and the remover of the credentials file. Each driver
 * opens its own (an option file for MySQL, a passfile for PostgreSQL).
 */
export interface ClientSession {
  args: string[];
  env: Record<string, string>;
  /** How to get the client programs, for the sentence when one is missing ("apt-get install ..."). */
  installHint: string;
  remove(): Promise<void>;
}

/** Turns a client program's failure into what went wrong and how to fix it, in one sentence. */
export function explainClientFailure(
  programPath: string,
  installHint: string,
  target: ServerFields,
  failure: { code?: string; exitCode?: number; stderr: string },
): string {
  const base = programPath.replace(/^.*\//, "");
  const where = target.socket ?? `${target.host}:${target.port}`;
  const stderr = failure.stderr;
  if (failure.code === "ENOENT") {
    return `${base} was not found ("${programPath}"): install it (${installHint}) or set its path in Settings.`;
  }
  if (failure.code === "EACCES") return `${base} at "${programPath}" cannot be run (permission denied): check its path in Settings.`;
  if (/Access denied; you need/i.test(stderr)) {
    return `The database user "${target.user}" lacks a privilege this needs: ${stderr.trim().split("\n").at(-1)}`;
  }
  if (/Access denied for user|password authentication failed|authentication failed/i.test(stderr)) {
    return `The database server refused the user "${target.user}" or its password: check the user and password in the database URL.`;
  }
  if (/Unknown database|database ".*" does not exist/i.test(stderr)) {
    return `The database "${target.database}" does not exist on ${where}: check the database name in the database URL.`;
  }
  if (
    /Can't connect|Unknown (MySQL|MariaDB) server host|Connection refused|could not connect|could not translate host name|timeout expired|No such file or directory/i.test(
      stderr,
    )
  ) {
    return `Cannot reach the database server at ${where}: check that it is running and that the host and port in the database URL are right.`;
  }
  const lastLine = stderr.trim().split("\n").filter(Boolean).at(-1) ?? "no message";
  return `${base} failed (exit code ${failure.exitCode ?? "?"}): ${lastLine}`;
}

export interface ClientRun {
  stdout: Readable | null;
  /** Resolves when the program exits 0; rejects with an explained error otherwise. */
  done: Promise<void>;
  pid: number | undefined;
}

/** Runs a database client program, streaming stdin and stdout, keeping the tail of stderr for errors. */
export function runClient(programPath: string, args: string[], session: ClientSession, target: ServerFields, io: { stdin?: Readable } = {}): ClientRun {
  const child = execa(programPath, [...session.args, ...args], {
    env: { ...session.env, LC_ALL: "C" },
    extendEnv: true,
    stdin: io.stdin ? "pipe" : "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-8192);
  });
  let inputError: unknown = null;
  if (io.stdin && child.stdin) {
    // A failed read of the input must never look like its end: psql would commit a half-loaded
    // --single-transaction. The client is killed first, so nothing it has read is committed.
    io.stdin.on("error", (error) => {
      inputError ??= error;
      child.kill("SIGKILL");
    });
    io.stdin.pipe(child.stdin);
    // The program may exit early (bad password); its own error explains more than EPIPE.
    child.stdin.on("error", () => {});
  }
  const done = child.then((result) => {
    if (inputError) throw inputError;
    if (result.exitCode === 0 && !result.failed) return;
    const code = (result as { code?: string }).code ?? (result.cause as NodeJS.ErrnoException | undefined)?.code;
    throw new Error(explainClientFailure(programPath, session.installHint, target, { code, exitCode: result.exitCode, stderr }));
  });
  // Awaited later, once the output is consumed; until then a failure must not count as unhandled.
  done.catch(() => {});
  return { stdout: child.stdout, done, pid: child.pid };
}

/** One value from a query, for size estimates and checks: `args` select the database and carry the SQL. */
export async function queryScalar(clientPath: string, target: ServerFields, session: ClientSession, args: string[]): Promise<string> {
  try {
    const run = runClient(clientPath, args, session, target);
    const chunks: Buffer[] = [];
    run.stdout?.on("data", (c: Buffer) => chunks.push(c));
    await run.done;
    return Buffer.concat(chunks).toString("utf8").trim();
  } finally {
    await session.remove();
  }
}
