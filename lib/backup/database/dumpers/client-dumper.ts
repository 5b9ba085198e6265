import path from "node:path";
import { openClientSession, queryScalar, runClient } from "@/lib/backup/database/client";
import type { ServerTarget } from "@/lib/backup/database/url";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";

/** The client program that sits beside a configured dump program (mysql beside mysqldump, psql beside pg_dump). */
export function siblingProgram(dumpProgramPath: string, name: string): string {
  return path.join(path.dirname(dumpProgramPath), name).replace(/^\.\//, "");
}

/** A dump program whose standard output is the dump, streamed straight into the archive. */
export function clientDumper(options: {
  target: ServerTarget;
  dumpProgram: string;
  dumpArgs: string[];
  clientProgram: string;
  sizeQuery: string;
}): DatabaseDumper {
  const { target } = options;
  return {
    kind: target.kind,
    name: target.database,
    async estimateBytes() {
      return Number(await queryScalar(options.clientProgram, target, options.sizeQuery).catch(() => "0")) || 0;
    },
    async dump() {
      const session = await openClientSession(target);
      const run = runClient(options.dumpProgram, options.dumpArgs, session, target);
      return { entry: `database/${target.database}.sql`, stream: run.stdout!, finished: run.done, cleanup: session.remove };
    },
  };
}
