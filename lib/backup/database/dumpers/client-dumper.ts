import path from "node:path";
import { runClient, type ClientSession } from "@/lib/backup/database/client";
import type { ServerFields } from "@/lib/backup/database/url";
import type { DatabaseDumper, DatabaseKind } from "@/lib/backup/database/dumpers/types";

/** The client program that sits beside a configured dump program (mysql beside mysqldump, psql beside pg_dump). */
export function siblingProgram(dumpProgramPath: string, name: string): string {
  return path.join(path.dirname(dumpProgramPath), name).replace(/^\.\//, "");
}

/** A dump program whose standard output is the dump, streamed straight into the archive. */
export function clientDumper(options: {
  kind: DatabaseKind;
  target: ServerFields;
  openSession(): Promise<ClientSession>;
  dumpProgram: string;
  dumpArgs: string[];
  /** The database's size in bytes, as text, for the progress bar. */
  sizeQuery(): Promise<string>;
}): DatabaseDumper {
  const { target } = options;
  return {
    kind: options.kind,
    name: target.database,
    async estimateBytes() {
      return Number(await options.sizeQuery().catch(() => "0")) || 0;
    },
    async dump() {
      const session = await options.openSession();
      const run = runClient(options.dumpProgram, options.dumpArgs, session, target);
      return { entry: `database/${target.database}.sql`, stream: run.stdout!, finished: run.done, cleanup: session.remove };
    },
  };
}
