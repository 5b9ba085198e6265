import fs from "node:fs";
import { Readable } from "node:stream";
import { openClientSession, runClient } from "@/lib/backup/database/client";
import type { PostgresTarget } from "@/lib/backup/database/url";
import { psqlPath } from "@/lib/backup/database/dumpers/postgres";

// Empties the database of everything the dump recreates (and anything made since) before loading it.
const PRELUDE = `
DO $$ DECLARE s record; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s.nspname);
  END LOOP;
END $$;
CREATE SCHEMA public;
`;

/** Loads in one transaction: if anything fails, PostgreSQL itself leaves the database as it was. */
export async function loadPostgres(target: PostgresTarget, stagedFile: string, pgDumpPath: string, onBytes: (n: number) => void): Promise<void> {
  const session = await openClientSession(target);
  try {
    const input = Readable.from(
      (async function* () {
        yield Buffer.from(PRELUDE);
        for await (const chunk of fs.createReadStream(stagedFile, { highWaterMark: 1024 * 1024 })) {
          onBytes((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      })(),
    );
    const run = runClient(
      psqlPath(pgDumpPath),
      ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", `--dbname=${target.database}`],
      session,
      target,
      { stdin: input },
    );
    run.stdout?.resume();
    await run.done;
  } finally {
    await session.remove();
  }
}
