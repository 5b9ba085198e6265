import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, testRoot } from "./helpers/fixtures";
import {
  createMariaDb,
  createPostgresDb,
  fillMariaDb,
  fillPostgresDb,
  mariaDbFingerprint,
  mysqlQuery,
  pgQuery,
  postgresFingerprint,
  type TestDatabase,
  useFilledDatabase,
} from "./helpers/databases";

/** A dump containing client commands, or client-command look-alikes, must never make the client run anything. */

async function backUp() {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(done.error).toBeNull();
  return done;
}

async function restore(fileName: string) {
  const settings = await loadSettings();
  return runRestore((await enqueueRestore(settings, null, fileName, "database")).id, { safetyBackup: true }, settings);
}

/**
 * Copies a real archive with its database dump rewritten by `edit`, and the manifest's size and SHA-256
 * for it made to match: an archive that passes every integrity check, as a hostile one would.
 */
function craftArchive(source: string, name: string, edit: (sql: string) => string): string {
  const work = fs.mkdtempSync(path.join(testRoot(), "craft-"));
  const script = `
import hashlib, json, sys, zipfile
src, out, sql_in, mode = sys.argv[1:5]
with zipfile.ZipFile(src) as z:
    manifest = json.loads(z.read("manifest.json"))
    entry = manifest["database"]["entry"]
    if mode == "read":
        open(sql_in, "wb").write(z.read(entry))
        sys.exit(0)
    data = open(sql_in, "rb").read()
    manifest["database"]["size"] = len(data)
    manifest["database"]["sha256"] = hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as o:
        for info in z.infolist():
            if info.filename == entry:
                o.writestr(info, data)
            elif info.filename == "manifest.json":
                o.writestr(info, json.dumps(manifest))
            else:
                o.writestr(info, z.read(info.filename))
`;
  const sqlFile = path.join(work, "dump.sql");
  const archive = testRoot("var/backup", source);
  execFileSync("python3", ["-c", script, archive, "", sqlFile, "read"]);
  fs.writeFileSync(sqlFile, edit(fs.readFileSync(sqlFile, "utf8")));
  execFileSync("python3", ["-c", script, archive, testRoot("var/backup", name), sqlFile, "write"]);
  fs.rmSync(work, { recursive: true, force: true });
  return name;
}

/** Puts `lines` after the first line of the dump that matches `after`. */
function inject(sql: string, after: RegExp, lines: string[]): string {
  const all = sql.split("\n");
  const at = all.findIndex((l) => after.test(l));
  expect(at).toBeGreaterThanOrEqual(0);
  all.splice(at + 1, 0, ...lines);
  return all.join("\n");
}

const markers: string[] = [];
function marker(what: string): string {
  const file = path.join(os.tmpdir(), `safekeep-pwned-${what}-${randomBytes(4).toString("hex")}`);
  markers.push(file);
  return file;
}
afterAll(() => markers.forEach((m) => fs.rmSync(m, { force: true })));

/**
 * A folder holding `mysqldump`/`pg_dump` (the real ones) and a client that claims to be too old:
 * `mysql --help` without --sandbox, `psql --version` 15.13 (before \restrict).
 */
function oldClientBin(kind: "mysql" | "psql"): { mysqldumpPath: string; pgDumpPath: string } {
  const bin = fs.mkdtempSync(path.join(testRoot(), "old-client-"));
  const real = (p: string) => execFileSync("sh", ["-c", `command -v ${p}`], { encoding: "utf8" }).trim();
  fs.symlinkSync(real("mysqldump"), path.join(bin, "mysqldump"));
  fs.symlinkSync(real("pg_dump"), path.join(bin, "pg_dump"));
  const client =
    kind === "mysql"
      ? `#!/bin/sh
if [ "$1" = "--help" ]; then ${real("mysql")} --help | grep -v -- "sandbox"; exit 0; fi
for a in "$@"; do [ "$a" = "--sandbox" ] && { echo "unknown option --sandbox" >&2; exit 7; }; done
exec ${real("mysql")} "$@"
`
      : `#!/bin/sh
if [ "$1" = "--version" ]; then echo "psql (PostgreSQL) 15.13"; exit 0; fi
exec ${real("psql")} "$@"
`;
  fs.writeFileSync(path.join(bin, kind), client, { mode: 0o755 });
  if (kind === "mysql") fs.symlinkSync(real("psql"), path.join(bin, "psql"));
  else fs.symlinkSync(real("mysql"), path.join(bin, "mysql"));
  return { mysqldumpPath: path.join(bin, "mysqldump"), pgDumpPath: path.join(bin, "pg_dump") };
}

interface Kind {
  kind: string;
  client: "mysql" | "psql";
  create: () => TestDatabase;
  fill: (db: TestDatabase) => void;
  fingerprint: (db: TestDatabase) => Record<string, string>;
  vandalise: (db: TestDatabase) => void;
  /** Client commands, each put after the first line matching `after` in a separate crafted archive. */
  attacks: (file: string) => { label: string; after: RegExp; lines: string[] }[];
  /** Data that looks like client commands and is not: strings, comments, routine bodies. */
  lookAlikes: (db: TestDatabase, file: string) => void;
  lookAlikesRestored: (db: TestDatabase) => string;
}

/**
 * New clients guard themselves when the dump says so (mysqldump's first line turns the sandbox on,
 * pg_dump's \restrict); a hostile dump leaves those lines out.
 */
const withoutOwnGuards = (sql: string) => sql.replace(/^\/\*M!999999\\- enable the sandbox mode \*\/.*\n/m, "").replace(/^\\(un)?restrict .*\n/gm, "");

const kinds: Kind[] = [
  {
    kind: "MariaDB",
    client: "mysql",
    create: createMariaDb,
    fill: (db) => fillMariaDb(db.name, 2000),
    fingerprint: (db) => mariaDbFingerprint(db.name),
    vandalise: (db) => mysqlQuery("DELETE FROM posts WHERE id % 3 = 0; UPDATE authors SET name = 'changed';", db.name),
    attacks: (file) => [
      { label: "\\!", after: /^DROP TABLE IF EXISTS `authors`;/, lines: [`\\! touch ${file}`] },
      { label: "system", after: /^DROP TABLE IF EXISTS `authors`;/, lines: [`system touch ${file}`] },
      { label: "mid-line \\!", after: /^DROP TABLE IF EXISTS `authors`;/, lines: [`SELECT 1; \\! touch ${file}`] },
      { label: "after the data", after: /^INSERT INTO `posts`/, lines: [`\\! touch ${file}`] },
    ],
    lookAlikes: (db, file) => {
      execFileSync("mysql", ["-uroot", "-h127.0.0.1", "-P3306", "--protocol=TCP", db.name], {
        input: `INSERT INTO authors (name, bio) VALUES ('\\\\! touch ${file}', '\\n\\\\! touch ${file}\\nsystem touch ${file}');
DELIMITER ;;
CREATE DEFINER=\`${db.user}\`@\`%\` PROCEDURE look_alike() BEGIN
  SELECT '
\\! touch ${file}
system touch ${file}
' AS text;
END;;
DELIMITER ;
`,
      });
    },
    lookAlikesRestored: (db) =>
      mysqlQuery("SELECT COUNT(*) FROM information_schema.routines WHERE routine_name = 'look_alike' AND routine_schema = DATABASE()", db.name),
  },
  {
    kind: "PostgreSQL",
    client: "psql",
    create: createPostgresDb,
    fill: (db) => fillPostgresDb(db.name, db.user, 2000),
    fingerprint: (db) => postgresFingerprint(db.name),
    vandalise: (db) => pgQuery(`SET ROLE ${db.user}; DELETE FROM posts WHERE id % 3 = 0; UPDATE authors SET name = 'changed';`, db.name),
    attacks: (file) => [
      { label: "\\!", after: /^SET client_min_messages/, lines: [`\\! touch ${file}`] },
      { label: "\\o |", after: /^SET client_min_messages/, lines: [`\\o | touch ${file}`, "SELECT 1;"] },
      { label: "mid-line \\!", after: /^SET client_min_messages/, lines: [`SELECT 1; \\! touch ${file}`] },
      // Right after the end of COPY data, psql reads SQL again.
      { label: "after COPY data", after: /^\\\.$/, lines: [`\\! touch ${file}`] },
    ],
    lookAlikes: (db, file) => {
      execFileSync("psql", ["-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", db.name, "-v", "ON_ERROR_STOP=1"], {
        input: `SET ROLE ${db.user};
INSERT INTO authors (name, bio) VALUES (E'\\\\! touch ${file}', E'\\n\\\\! touch ${file}\\n');
COMMENT ON TABLE posts IS '
\\! touch ${file}
';
CREATE FUNCTION look_alike() RETURNS text LANGUAGE sql AS $body$
SELECT '
\\! touch ${file}
'::text $body$;
`,
      });
    },
    lookAlikesRestored: (db) => pgQuery("SELECT count(*) FROM pg_proc WHERE proname = 'look_alike'", db.name),
  },
];

describe.each(kinds)("client commands in a $kind dump", (k) => {
  const database = useFilledDatabase(k.create, k.fill);
  let db: TestDatabase;
  let backupName: string;
  let original: Record<string, string>;
  beforeEach(async () => {
    db = database();
    await freshSite();
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup" });
    original = k.fingerprint(db);
    backupName = (await backUp()).fileName;
    k.vandalise(db);
  });

  async function expectRefusedUnrun(archive: string, file: string, label: string) {
    const before = k.fingerprint(db);
    const job = await restore(archive);
    expect(fs.existsSync(file), `${label}: the command ran`).toBe(false);
    expect(job.status, label).toBe("failed");
    expect(job.error, label).toMatch(
      new RegExp(
        `contains a ${k.client} client command on line \\d+ \\(.*touch .*\\); a restore never runs client commands, so it was refused and nothing was loaded`,
      ),
    );
    // Refused before anything changed: no safety backup was needed, the data is as it was.
    expect(job.safetyFileName, label).toBeNull();
    expect(k.fingerprint(db), label).toEqual(before);
  }

  it("a crafted archive's command never runs; the restore is refused, says why, and loads nothing", async () => {
    const count = k.attacks("").length;
    for (let i = 0; i < count; i++) {
      const file = marker(`${k.client}-${i}`);
      const attack = k.attacks(file)[i]!;
      const name = craftArchive(backupName, `crafted-${i}.zip`, (sql) => inject(withoutOwnGuards(sql), attack.after, attack.lines));
      await expectRefusedUnrun(name, file, attack.label);
    }
    // As the dump's very first line, too.
    const first = marker(`${k.client}-first`);
    await expectRefusedUnrun(
      craftArchive(backupName, "crafted-first.zip", (sql) => `\\! touch ${first}\n${sql}`),
      first,
      "first line",
    );
  });

  it(`with a ${k.client} too old to refuse commands itself: a crafted dump is still refused, a clean one still restores`, async () => {
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup", ...oldClientBin(k.client) });
    const file = marker(`${k.client}-old`);
    const attack = k.attacks(file)[0]!;
    await expectRefusedUnrun(
      craftArchive(backupName, "crafted-old.zip", (sql) => inject(withoutOwnGuards(sql), attack.after, attack.lines)),
      file,
      "old client",
    );

    const job = await restore(backupName);
    expect(job.error).toBeNull();
    expect(k.fingerprint(db)).toEqual(original);
  });

  it("text that only looks like a command (in strings, comments, routine bodies) is data: it restores and runs nothing", async () => {
    const file = marker(`${k.client}-lookalike`);
    k.lookAlikes(db, file);
    const withLookAlikes = k.fingerprint(db);
    const backup = await backUp();
    const dump = execFileSync("unzip", ["-p", testRoot("var/backup", backup.fileName), `database/${db.name}.sql`], { maxBuffer: 256 * 1024 * 1024 }).toString(
      "utf8",
    );
    // The look-alike really starts a line of the dump.
    expect(dump).toMatch(new RegExp(`^\\\\! touch ${file}`, "m"));
    k.vandalise(db);
    const job = await restore(backup.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(k.fingerprint(db)).toEqual(withLookAlikes);
    expect(k.lookAlikesRestored(db)).toBe("1");
    expect(fs.existsSync(file)).toBe(false);
  });
});
