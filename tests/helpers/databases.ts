import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";

/** Real MariaDB and PostgreSQL on this machine (see shared/PLATFORM.md); each test makes its own database. */

export function mysqlQuery(sql: string, database?: string): string {
  return execFileSync(
    "mysql",
    ["-uroot", "-h127.0.0.1", "-P3306", "--protocol=TCP", "-N", "-B", "--default-character-set=utf8mb4", "-e", sql, ...(database ? [database] : [])],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  ).trim();
}

export function pgQuery(sql: string, database = "postgres"): string {
  return execFileSync("psql", ["-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

export interface TestDatabase {
  name: string;
  url: string;
  user: string;
  password: string;
  drop(): void;
}

/** A MariaDB database with its own user whose password has characters that need quoting. */
export function createMariaDb(): TestDatabase {
  const name = `sk_test_${randomBytes(4).toString("hex")}`;
  const user = `sk_${randomBytes(3).toString("hex")}`;
  const password = `pw#"${randomBytes(6).toString("hex")}'\\x`;
  const sqlPassword = password.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  mysqlQuery(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER '${user}'@'%' IDENTIFIED BY '${sqlPassword}';
    CREATE USER '${user}'@'localhost' IDENTIFIED BY '${sqlPassword}';
    GRANT ALL ON ${name}.* TO '${user}'@'%';
    GRANT ALL ON ${name}.* TO '${user}'@'localhost';`);
  return {
    name,
    user,
    password,
    url: `mysql://${user}:${encodeURIComponent(password)}@127.0.0.1:3306/${name}`,
    drop: () => mysqlQuery(`DROP DATABASE IF EXISTS ${name}; DROP USER IF EXISTS '${user}'@'%'; DROP USER IF EXISTS '${user}'@'localhost';`),
  };
}

/** Several tables, utf8mb4 text with emoji, binary columns, NULLs, a view, a trigger, many rows. */
export function fillMariaDb(db: string, rows: number): void {
  mysqlQuery(
    `
    CREATE TABLE authors (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100) NOT NULL, bio TEXT NULL) ENGINE=InnoDB;
    CREATE TABLE posts (id INT PRIMARY KEY AUTO_INCREMENT, author_id INT NOT NULL, title VARCHAR(200) NOT NULL,
      body MEDIUMTEXT NULL, cover BLOB NULL, published_at DATETIME NULL, edits INT NOT NULL DEFAULT 0,
      FOREIGN KEY (author_id) REFERENCES authors(id)) ENGINE=InnoDB;
    CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, post_id INT, note VARCHAR(100)) ENGINE=InnoDB;
    CREATE VIEW post_titles AS SELECT p.id, p.title, a.name FROM posts p JOIN authors a ON a.id = p.author_id;
    CREATE TRIGGER posts_audit AFTER UPDATE ON posts FOR EACH ROW INSERT INTO audit (post_id, note) VALUES (NEW.id, 'updated');
    INSERT INTO authors (name, bio) VALUES ('Zoë 🌍', 'Writes about ☕ and 🚲'), ('Bob', NULL), ('李雷', '中文 text');
    INSERT INTO posts (author_id, title, body, cover, published_at)
      SELECT 1 + seq % 3, CONCAT('Post ', seq, ' 🎉'), IF(seq % 7 = 0, NULL, REPEAT('lorem ipsum ', 1 + seq % 5)),
        IF(seq % 5 = 0, NULL, UNHEX(SHA2(seq, 256))), IF(seq % 11 = 0, NULL, '2026-01-01' + INTERVAL seq MINUTE)
      FROM seq_1_to_${rows};
    UPDATE posts SET edits = 1 WHERE id <= 3;
  `,
    db,
  );
}

function orMissing(read: () => string): string {
  try {
    return read();
  } catch {
    return "(missing)";
  }
}

/** Row count and a content checksum per table: equal values mean equal data. */
export function mariaDbFingerprint(db: string): Record<string, string> {
  const q = (sql: string) => orMissing(() => mysqlQuery(sql, db));
  return {
    authors: q(`SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, name, IFNULL(bio, '<null>')))) FROM authors`),
    posts: q(
      `SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, author_id, title, IFNULL(body, '<null>'), IFNULL(HEX(cover), '<null>'), IFNULL(published_at, '<null>'), edits))) FROM posts`,
    ),
    audit: q(`SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, post_id, note))) FROM audit`),
    view: q(`SELECT COUNT(*) FROM post_titles WHERE name = 'Zoë 🌍'`),
    trigger: q(`SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = '${db}'`),
  };
}

export function createPostgresDb(): TestDatabase {
  const name = `sk_test_${randomBytes(4).toString("hex")}`;
  const user = `sk_${randomBytes(3).toString("hex")}`;
  const password = `pw:"${randomBytes(6).toString("hex")}'\\x`;
  pgQuery(`CREATE ROLE ${user} LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
  pgQuery(`CREATE DATABASE ${name} OWNER ${user} ENCODING 'UTF8' TEMPLATE template0`);
  return {
    name,
    user,
    password,
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:5432/${name}`,
    drop: () => {
      pgQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      pgQuery(`DROP ROLE IF EXISTS ${user}`);
    },
  };
}

export function fillPostgresDb(db: string, owner: string, rows: number): void {
  const sql = `
    SET ROLE ${owner};
    CREATE TABLE authors (id serial PRIMARY KEY, name text NOT NULL, bio text NULL);
    CREATE TABLE posts (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES authors(id), title text NOT NULL,
      body text NULL, cover bytea NULL, published_at timestamptz NULL, edits int NOT NULL DEFAULT 0);
    CREATE TABLE audit (id serial PRIMARY KEY, post_id int, note text);
    CREATE VIEW post_titles AS SELECT p.id, p.title, a.name FROM posts p JOIN authors a ON a.id = p.author_id;
    CREATE FUNCTION audit_post() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO audit (post_id, note) VALUES (NEW.id, 'updated'); RETURN NEW; END $$;
    CREATE TRIGGER posts_audit AFTER UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION audit_post();
    INSERT INTO authors (name, bio) VALUES ('Zoë 🌍', 'Writes about ☕ and 🚲'), ('Bob', NULL), ('李雷', '中文 text');
    INSERT INTO posts (author_id, title, body, cover, published_at)
      SELECT 1 + s % 3, 'Post ' || s || ' 🎉', CASE WHEN s % 7 = 0 THEN NULL ELSE repeat('lorem ipsum ', 1 + s % 5) END,
        CASE WHEN s % 5 = 0 THEN NULL ELSE sha256(s::text::bytea) END,
        CASE WHEN s % 11 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00+00' + s * interval '1 minute' END
      FROM generate_series(1, ${rows}) AS s;
    UPDATE posts SET edits = 1 WHERE id <= 3;`;
  execFileSync("psql", ["-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1"], { input: sql });
}

export function postgresFingerprint(db: string): Record<string, string> {
  const q = (sql: string) => orMissing(() => pgQuery(sql, db));
  const table = (name: string) => q(`SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY id)) FROM ${name} t`);
  return {
    authors: table("authors"),
    posts: table("posts"),
    audit: table("audit"),
    view: q(`SELECT count(*) FROM post_titles WHERE name = 'Zoë 🌍'`),
    trigger: q(`SELECT count(*) FROM pg_trigger WHERE tgname = 'posts_audit'`),
  };
}

/** Makes and fills a database for a describe block, and drops it after; the getter gives it to the tests. */
export function useFilledDatabase(create: () => TestDatabase, fill: (db: TestDatabase) => void): () => TestDatabase {
  let db: TestDatabase | undefined;
  beforeAll(() => {
    db = create();
    fill(db);
  });
  afterAll(() => db?.drop());
  return () => db!;
}
