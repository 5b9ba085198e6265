import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MysqlDumpScanner } from "@/lib/backup/database/client-commands/mysql";
import { PsqlDumpScanner } from "@/lib/backup/database/client-commands/psql";

/**
 * The dump scanners against the real clients, unguarded: each snippet is fed to the real psql / mysql
 * (as the loader runs them, without \restrict or --sandbox) with `\! touch <marker>` somewhere in it.
 * Every snippet not marked `data` makes the client run the command, and the scanner must report it;
 * for the `data` ones the client runs nothing, and the scanner must not cry wolf (real dumps look like these).
 */

const markers: string[] = [];
afterAll(() => markers.forEach((m) => fs.rmSync(m, { force: true })));

function scan(scanner: MysqlDumpScanner | PsqlDumpScanner, text: string) {
  for (const line of text.split("\n")) scanner.line(line);
  return scanner.end();
}

interface Case {
  name: string;
  sql: (marker: string) => string;
  /** The client runs nothing here: the scanner must not report a command. */
  data?: boolean;
}

function differential(client: "psql" | "mysql", cases: Case[]) {
  it.each(cases)(`$name`, ({ sql, data }) => {
    const marker = path.join(os.tmpdir(), `safekeep-scan-${randomBytes(4).toString("hex")}`);
    markers.push(marker);
    const text = sql(marker);
    const run =
      client === "psql"
        ? spawnSync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"], {
            input: text,
            encoding: "utf8",
          })
        : spawnSync("mysql", ["-uroot", "-h127.0.0.1", "-P3306", "--protocol=TCP", "--default-character-set=utf8mb4", "test"], {
            input: text,
            encoding: "utf8",
          });
    const ran = fs.existsSync(marker);
    const findings = scan(client === "psql" ? new PsqlDumpScanner() : new MysqlDumpScanner(), text);
    const reported = findings.some((f) => f.severity === "command");
    if (ran) expect(reported, `${client} ran it (exit ${run.status}); the scanner missed it`).toBe(true);
    // Each attack here is a real one: the unguarded client runs it.
    if (!data) expect(ran, `${client} did not run it, so the case proves nothing: ${run.stderr}`).toBe(true);
    if (data) {
      expect(ran, `${client} ran a command in what should be data: ${run.stderr}`).toBe(false);
      expect(findings, "a false alarm on data").toEqual([]);
    }
  });
}

describe("the psql scanner agrees with psql", () => {
  differential("psql", [
    { name: "a command after a statement", sql: (m) => `SELECT 1;\n\\! touch ${m}\n` },
    { name: "a command mid-line", sql: (m) => `SELECT 1; \\! touch ${m}\n` },
    { name: "a backslash ending a standard string", sql: (m) => `SELECT 'a\\';\n\\! touch ${m}\n` },
    { name: "a doubled quote", sql: (m) => `SELECT 'it''s';\n\\! touch ${m}\n` },
    { name: "a backslash in a quoted identifier", sql: (m) => `SELECT 1 AS "x\\";\n\\! touch ${m}\n` },
    { name: "after a dollar-quoted body", sql: (m) => `SELECT $a$ x $b$ y $a$;\n\\! touch ${m}\n` },
    { name: "after a COPY TO STDOUT", sql: (m) => `COPY (SELECT 1) TO STDOUT;\n\\! touch ${m}\n` },
    { name: "after COPY data ends", sql: (m) => `CREATE TEMP TABLE c (a text);\nCOPY c (a) FROM stdin;\nrow\n\\.\n\\! touch ${m}\n` },
    { name: "after a block comment", sql: (m) => `/* a /* nested */ still */ SELECT 1;\n\\! touch ${m}\n` },
    { name: "\\o to a pipe", sql: (m) => `\\o | touch ${m}\nSELECT 1;\n` },
    { name: "inside an E'' string", data: true, sql: (m) => `SELECT E'a\\'\n\\! touch ${m}\n';\n` },
    { name: "inside a standard string", data: true, sql: (m) => `SELECT '\n\\! touch ${m}\n';\n` },
    { name: "inside a dollar-quoted body", data: true, sql: (m) => `SELECT $a$ x $b$\n\\! touch ${m}\n$a$;\n` },
    { name: "inside nested comments", data: true, sql: (m) => `/* a /* nested */\n\\! touch ${m}\n*/ SELECT 1;\n` },
    { name: "inside a line comment", data: true, sql: (m) => `SELECT 1; -- \\! touch ${m}\n` },
    { name: "inside COPY data", data: true, sql: (m) => `CREATE TEMP TABLE c (a text);\nCOPY c (a) FROM stdin;\n\\! touch ${m}\n\\.\nSELECT 1;\n` },
    { name: "inside a quoted identifier", data: true, sql: (m) => `SELECT 1 AS "\n\\! touch ${m}\n";\n` },
  ]);
});

describe("the mysql scanner agrees with mysql", () => {
  differential("mysql", [
    { name: "\\! after a statement", sql: (m) => `SELECT 1;\n\\! touch ${m}\n` },
    { name: "\\! mid-line", sql: (m) => `SELECT 1; \\! touch ${m}\n` },
    { name: "system at a statement's start", sql: (m) => `SELECT 1;\nsystem touch ${m}\n` },
    { name: "system with a delimiter", sql: (m) => `SELECT 1;\nsystem touch ${m};\n` },
    { name: "system after another statement on the line", sql: (m) => `SELECT 1; system touch ${m}\n;\n` },
    { name: "\\! in an executable comment", sql: (m) => `/*!40101 \\! touch ${m} */;\n` },
    { name: "after a backtick identifier with a backslash", sql: (m) => `SELECT 1 AS \`a\\\`;\n\\! touch ${m}\n` },
    { name: "system under another delimiter", sql: (m) => `DELIMITER ;;\nSELECT 1;;\nsystem touch ${m}\nDELIMITER ;\n` },
    { name: "after a block comment", sql: (m) => `/* x */ SELECT 1;\n\\! touch ${m}\n` },
    { name: "inside an escaped string", data: true, sql: (m) => `SELECT 'a\\'\n\\! touch ${m}\n';\n` },
    { name: "inside a double-quoted string", data: true, sql: (m) => `SELECT "\n\\! touch ${m}\nsystem touch ${m}\n";\n` },
    { name: "inside a block comment", data: true, sql: (m) => `/*\n\\! touch ${m}\n*/ SELECT 1;\n` },
    { name: "inside # and -- comments", data: true, sql: (m) => `SELECT 1; # \\! touch ${m}\nSELECT 2; -- \\! touch ${m}\n` },
    { name: "system as a column name", data: true, sql: () => `SELECT 1\nAS system;\n` },
    { name: "\\N and the sandbox line mysqldump writes", data: true, sql: () => `/*M!999999\\- enable the sandbox mode */\nSELECT \\N;\n` },
  ]);
});
