import fs from "node:fs";
import { Readable } from "node:stream";
import { openClientSession, queryScalar, runClient } from "@/lib/backup/database/client";
import type { MysqlTarget } from "@/lib/backup/database/url";
import { mysqlClientPath } from "@/lib/backup/database/dumpers/mysql";

/** Everything the dump will recreate, and anything made since, goes first: the result equals the backup. */
async function dropEverything(mysqlPath: string, target: MysqlTarget): Promise<string> {
  const sql = `
    SELECT CONCAT('DROP ', IF(table_type = 'VIEW', 'VIEW', 'TABLE'), ' IF EXISTS \`', REPLACE(table_name, '\`', '\`\`'), '\`;')
      FROM information_schema.tables WHERE table_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('DROP ', routine_type, ' IF EXISTS \`', REPLACE(routine_name, '\`', '\`\`'), '\`;')
      FROM information_schema.routines WHERE routine_schema = DATABASE()
    UNION ALL
    SELECT CONCAT('DROP EVENT IF EXISTS \`', REPLACE(event_name, '\`', '\`\`'), '\`;')
      FROM information_schema.events WHERE event_schema = DATABASE()`;
  return `SET FOREIGN_KEY_CHECKS = 0;\n${await queryScalar(mysqlPath, target, sql)}\nSET FOREIGN_KEY_CHECKS = 1;\n`;
}

const DEFINER = /DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/g;

/**
 * Views, triggers and routines carry the account that made them (DEFINER); loading them as another
 * account needs SUPER. Dropping the clause makes the restoring account their definer instead.
 */
async function* withoutDefiners(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry = "";
  for await (const chunk of chunks) {
    const text = carry + chunk.toString("utf8");
    const cut = text.lastIndexOf("\n") + 1;
    carry = text.slice(cut);
    yield Buffer.from(text.slice(0, cut).replace(DEFINER, ""));
  }
  if (carry) yield Buffer.from(carry.replace(DEFINER, ""));
}

export async function loadMysql(target: MysqlTarget, stagedFile: string, mysqldumpPath: string, onBytes: (n: number) => void): Promise<void> {
  const mysqlPath = mysqlClientPath(mysqldumpPath);
  const prelude = await dropEverything(mysqlPath, target);
  const session = await openClientSession(target);
  try {
    const input = Readable.from(
      (async function* () {
        yield Buffer.from(prelude);
        const counted = (async function* () {
          for await (const chunk of fs.createReadStream(stagedFile, { highWaterMark: 1024 * 1024 })) {
            onBytes((chunk as Buffer).length);
            yield chunk as Buffer;
          }
        })();
        yield* withoutDefiners(counted);
      })(),
    );
    const run = runClient(mysqlPath, ["--default-character-set=utf8mb4", target.database], session, target, { stdin: input });
    run.stdout?.resume();
    await run.done;
  } finally {
    await session.remove();
  }
}
