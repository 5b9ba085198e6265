#!/usr/bin/env node
// Benchmark (not a test: it asserts nothing). Generates a site from a fixed seed, then measures our engine
// against the command-line tools people would use instead, each N times, and reports the median.
//   npm run bench -- --size small|full|many|huge|millions [--reps N] [--only files,verify,extract,deps,encrypt,dump,pgdump,progress,full,download,list,upload,remote] [--skip ...]
// The download and list measurements need the built portal (`npm run build`); they are skipped without it.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { prepareWithAdmin, signIn, startPortal, untilUp } from "../scripts/portal-harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const opt = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const sizeName = opt("size", "small");
const SIZES = {
  small: { texts: 2000, textKb: [1, 20], media: 20, big: 1, bigMb: 20, dbRows: 60_000, pgRows: 200_000 },
  full: { texts: 20_000, textKb: [1, 20], media: 300, big: 3, bigMb: 50, dbRows: 1_200_000, pgRows: 1_000_000 },
  // Many small files: what memory does with the file count rather than the byte count.
  many: { texts: 200_000, textKb: [1, 4], media: 0, big: 0, bigMb: 0, dbRows: 60_000, pgRows: 200_000 },
  // Opt-in only (≈ 30 GB of disk while it runs): memory must stay flat and the zip64 paths hold. One 5 GB
  // file (past 4 GiB: zip64 sizes and offsets), 100,000 small ones (past 65,535 entries).
  huge: { texts: 100_000, textKb: [1, 4], media: 1600, big: 0, bigMb: 0, giantMb: 5120, dbRows: 0, pgRows: 0 },
  // Opt-in only (≈ 13 GB of disk and half an hour): memory must stay flat with the file count too.
  millions: { texts: 2_000_000, textKb: [1, 4], media: 0, big: 0, bigMb: 0, dbRows: 0, pgRows: 0 },
};
/** Sizes run once, each step in its own process, for its peak memory. */
const ONCE = new Set(["huge", "millions"]);
const size = SIZES[sizeName];
if (!size) throw new Error(`--size must be one of ${Object.keys(SIZES).join(", ")}`);
const reps = Number(opt("reps", sizeName === "small" ? 3 : 3));
const JOBS = ["files", "verify", "extract", "deps", "encrypt", "dump", "pgdump", "progress", "full", "download", "list", "upload", "remote"];
const only = opt("only", "");
const skip = new Set(opt("skip", "").split(",").filter(Boolean));
if (only) for (const job of JOBS) if (!only.split(",").includes(job)) skip.add(job);
const SEED = 20261123;
const work = path.join(root, "bench/work");
const site = path.join(work, `site-${sizeName}`);
const out = path.join(work, "out");
const engine = path.join(work, "engine.mjs");
const port = Number(process.env.BENCH_PORT ?? 3195);
// The upload measurement needs neither the site nor the database.
const onlyUpload = JOBS.every((job) => job === "upload" || skip.has(job));

// ---------- deterministic data ----------

/** mulberry32: a small seeded PRNG, so the same seed gives the same site on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Incompressible bytes from the seed: AES-CTR keystream, fast and repeatable. */
function seededBytes(seed, length) {
  const key = createHash("sha256").update(`key-${SEED}-${seed}`).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(length));
}

const WORDS = (
  "function return const let var if else for while import export default class extends new this await async " +
  "user account order item price total value config setting request response error message data result list " +
  "map filter reduce length index string number boolean null undefined true false public private static"
).split(" ");

function textFile(rand, bytes) {
  const lines = [];
  let n = 0;
  while (n < bytes) {
    const indent = "  ".repeat(Math.floor(rand() * 4));
    const words = Array.from({ length: 3 + Math.floor(rand() * 9) }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const line = `${indent}${words.join(" ")}${rand() < 0.3 ? ` = ${Math.floor(rand() * 100000)};` : ";"}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join("\n").slice(0, bytes);
}

function generateSite() {
  const marker = path.join(site, ".bench-done");
  const signature = JSON.stringify({ SEED, size });
  if (fs.existsSync(marker) && fs.readFileSync(marker, "utf8") === signature) return;
  fs.rmSync(site, { recursive: true, force: true });
  console.log(`Generating ${sizeName} site in ${site} (seed ${SEED}) ...`);
  const rand = prng(SEED);
  const exts = ["php", "js", "ts", "css", "html", "json", "md", "txt", "xml", "sql"];
  for (let i = 0; i < size.texts; i++) {
    const dir = path.join(site, `src/module-${i % 97}/part-${i % 13}`);
    fs.mkdirSync(dir, { recursive: true });
    const [minKb, maxKb] = size.textKb;
    const bytes = minKb * 1024 + Math.floor(rand() * (maxKb - minKb) * 1024);
    fs.writeFileSync(path.join(dir, `file-${i}.${exts[i % exts.length]}`), textFile(rand, bytes));
  }
  const media = ["jpg", "png", "zip", "gz"];
  for (let i = 0; i < size.media; i++) {
    const dir = path.join(site, `uploads/${2020 + (i % 6)}/${String(1 + (i % 12)).padStart(2, "0")}`);
    fs.mkdirSync(dir, { recursive: true });
    const bytes = 1024 * 1024 + Math.floor(rand() * 4 * 1024 * 1024);
    fs.writeFileSync(path.join(dir, `media-${i}.${media[i % media.length]}`), seededBytes(`m${i}`, bytes));
  }
  fs.mkdirSync(path.join(site, "exports"), { recursive: true });
  for (let i = 0; i < size.big; i++) {
    // Half log text, half random: a large export or archive someone left on the site.
    const half = (size.bigMb * 1024 * 1024) / 2;
    const fd = fs.openSync(path.join(site, `exports/big-${i}.dat`), "w");
    for (let done = 0; done < half; done += 1024 * 1024) fs.writeSync(fd, Buffer.from(textFile(rand, 1024 * 1024)));
    for (let done = 0; done < half; done += 64 * 1024 * 1024) fs.writeSync(fd, seededBytes(`b${i}-${done}`, Math.min(64 * 1024 * 1024, half - done)));
    fs.closeSync(fd);
  }
  if (size.giantMb) {
    // Written in pieces (a 5 GB buffer would not fit in Node); text repeated from a pool 1 MB apart still
    // compresses like text, since deflate looks back only 32 KB.
    const pool = Array.from({ length: 8 }, () => Buffer.from(textFile(rand, 1024 * 1024)));
    const fd = fs.openSync(path.join(site, "exports/giant.dat"), "w");
    const mb = size.giantMb;
    for (let i = 0; i < mb; i++) fs.writeSync(fd, i % 2 ? seededBytes(`g${i}`, 1024 * 1024) : pool[(i >> 1) % pool.length]);
    fs.closeSync(fd);
  }
  fs.writeFileSync(marker, signature);
}

function treeBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

// ---------- MariaDB ----------

const dbName = `safekeep_bench_${process.pid}_${Date.now().toString(36)}`;
const mysql = (sql, db = "") =>
  execFileSync("mysql", ["-h", "127.0.0.1", "-P", "3306", "-u", "root", "-N", "-B", ...(db ? [db] : [])], { input: sql, encoding: "utf8" });

function createDatabase() {
  console.log(`Creating MariaDB database ${dbName} with ${size.dbRows} rows ...`);
  mysql(`CREATE DATABASE \`${dbName}\``);
  // Deterministic rows from the seed, made by the server itself (the Sequence engine) rather than shipped in.
  const batch = 100_000;
  mysql(
    `CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(64), email VARCHAR(128), status VARCHAR(16),
       total DECIMAL(10,2), created DATETIME, notes TEXT, KEY (customer)) ENGINE=InnoDB;
     CREATE TABLE events (id INT PRIMARY KEY, order_id INT, payload TEXT, KEY (order_id)) ENGINE=InnoDB;`,
    dbName,
  );
  for (let start = 1; start <= size.dbRows; start += batch) {
    const end = Math.min(size.dbRows, start + batch - 1);
    mysql(
      `INSERT INTO orders SELECT seq, CONCAT('customer-', CONV(SUBSTR(MD5(CONCAT(${SEED}, seq)), 1, 8), 16, 10) % 50000),
         CONCAT(SUBSTR(MD5(seq), 1, 10), '@example.com'), ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'refunded'),
         (seq * 7919 % 100000) / 100, '2024-01-01' + INTERVAL (seq * 37 % 31536000) SECOND,
         CONCAT('Order ', seq, ' notes: ', REPEAT(SUBSTR(SHA2(CONCAT(${SEED}, seq), 256), 1, 24), 1 + seq % 4))
       FROM seq_${start}_to_${end};
       INSERT INTO events SELECT seq, seq, CONCAT('{"type":"', ELT(1 + seq % 3, 'created', 'paid', 'mailed'), '","hash":"',
         SHA2(CONCAT(seq, ${SEED}), 256), '","ip":"10.', seq % 255, '.', seq % 7, '.1"}') FROM seq_${start}_to_${end};`,
      dbName,
    );
  }
  mysql("ANALYZE TABLE orders, events", dbName);
  return Number(mysql(`SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema='${dbName}'`).trim());
}

function dropDatabase() {
  try {
    mysql(`DROP DATABASE IF EXISTS \`${dbName}\``);
  } catch {}
}

// ---------- measuring ----------

/** Runs a shell command under /usr/bin/time -v: wall seconds and peak RSS (largest process of the pipeline). */
function measure(command, env = process.env) {
  const started = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-v", "sh", "-c", command], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1] ?? 0);
  return { seconds, rssMb: rssKb / 1024, stdout: result.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs each job `reps` times, taking turns (a, b, a, b, …) so that the machine's drift during the run
 * (this one's page-cache reclaim varies a lot) hits every job alike; reports each job's median.
 */
function interleaved(...jobs) {
  const runs = jobs.map(() => []);
  for (let i = 0; i < reps; i++) {
    jobs.forEach((job, j) => {
      job.before?.();
      runs[j].push(job.fn());
    });
  }
  return jobs.map((job, j) => {
    const seconds = median(runs[j].map((r) => r.seconds));
    const rssMb = Math.max(...runs[j].map((r) => r.rssMb ?? 0));
    process.stdout.write(`  ${job.label}: ${seconds.toFixed(2)} s median of ${reps}${rssMb ? `, peak RSS ${rssMb.toFixed(0)} MB` : ""}\n`);
    return { seconds, runs: runs[j].map((r) => r.seconds), rssMb };
  });
}

const repeat = (label, fn, before) => interleaved({ label, fn, before })[0];

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const rows = [];
function compare(name, inputBytes, ours, theirs, theirsLabel, target, also) {
  const mbps = (r) => inputBytes / 1024 / 1024 / r.seconds;
  const ratio = mbps(ours) / mbps(theirs);
  rows.push({
    name,
    inputMb: +(inputBytes / 1024 / 1024).toFixed(1),
    oursMbps: +mbps(ours).toFixed(1),
    theirsLabel,
    theirsMbps: +mbps(theirs).toFixed(1),
    ratio: +ratio.toFixed(2),
    target,
    met: target == null ? null : ratio >= target,
    oursPeakRssMb: +ours.rssMb.toFixed(0),
    oursSeconds: ours.runs,
    theirsSeconds: theirs.runs,
    ...(also ? { reference: { label: also.label, mbps: +mbps(also.result).toFixed(1) } } : {}),
  });
}

function ensureTools() {
  const missing = ["zip", "unzip", "pigz", "curl"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length) {
    console.log(`Installing ${missing.join(", ")} ...`);
    execFileSync("apt-get", ["install", "-y", ...missing], { stdio: "inherit" });
  }
}

async function buildEngine() {
  await build({
    entryPoints: [path.join(root, "bench/engine.ts")],
    outfile: engine,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: ["@prisma/*", ".prisma/*", "better-sqlite3", "argon2"],
    logLevel: "warning",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  execFileSync(process.execPath, ["scripts/build-cli.mjs"], { cwd: root, stdio: "inherit" });
}

const fresh = (p) => () => fs.rmSync(p, { recursive: true, force: true });

/**
 * Where extraction runs write: a new folder for every run, all removed at the very end of the bench.
 * Removing the previous run's tree before the next made ext4 scan past its freshly freed inodes on every
 * file created (`perf`: 65% of an `unzip` run in `recently_deleted`, system time swinging from 2 to 27 s
 * between runs minutes apart), so whichever tool ran after a deletion lost. The disk is still flushed
 * before each run.
 */
const leftovers = [];
function extractionTargets(base) {
  let n = 0;
  return {
    next() {
      const dir = `${base}-${++n}`;
      fresh(dir)();
      leftovers.push(dir);
      return dir;
    },
    before: () => execFileSync("sync"),
  };
}

function benchFiles(siteBytes) {
  console.log(`Files archive (${(siteBytes / 1048576).toFixed(0)} MB):`);
  const ours = path.join(out, "ours.zip");
  const theirs = path.join(out, "zip.zip");
  const tgz = path.join(out, "site.tgz");
  for (const level of [6, 1]) {
    const jobs = [
      {
        label: `ours level ${level}`,
        fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} archive --root ${sh(site)} --out ${sh(ours)} --level ${level}`),
        before: fresh(ours),
      },
      {
        label: `zip -r -${level}`,
        fn: () => measure(`cd ${sh(path.dirname(site))} && zip -q -r -${level} ${sh(theirs)} ${sh(path.basename(site))}`),
        before: fresh(theirs),
      },
    ];
    if (level === 1)
      jobs.push({ label: "tar | pigz -1", fn: () => measure(`tar -cf - -C ${sh(path.dirname(site))} ${sh(path.basename(site))} | pigz -1 > ${sh(tgz)}`) });
    const [a, b, c = null] = interleaved(...jobs);
    compare(`files archive, level ${level}`, siteBytes, a, b, `zip -r -${level}`, 1.0, c ? { label: "tar | pigz -1", result: c } : null);
    rows.at(-1).oursArchiveMb = +(fs.statSync(ours).size / 1048576).toFixed(1);
    rows.at(-1).theirsArchiveMb = +(fs.statSync(theirs).size / 1048576).toFixed(1);
  }
  const test = spawnSync("unzip", ["-tq", ours], { encoding: "utf8" });
  console.log(`  unzip -t on our archive: ${test.status === 0 ? "clean" : `FAILED ${test.stdout}`}`);
  return ours;
}

/**
 * Verify after write: a backup reads its archive back before it is called completed. Priced as a share of
 * writing that archive (level 6), the two taking turns; the read comes from the page cache, as in a backup.
 */
function benchVerify(siteBytes) {
  console.log("Verify after write:");
  const archive = path.join(out, "verify.zip");
  const [write, read] = interleaved(
    {
      label: "write (ours level 6)",
      fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} archive --root ${sh(site)} --out ${sh(archive)} --level 6`),
      before: fresh(archive),
    },
    { label: "read back (verify)", fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} verify --archive ${sh(archive)}`) },
  );
  fresh(archive)();
  const share = read.seconds / write.seconds;
  rows.push({
    name: "verify after write",
    inputMb: +(siteBytes / 1024 / 1024).toFixed(1),
    costPercent: +(share * 100).toFixed(1),
    note: `read back in ${read.seconds.toFixed(2)} s against ${write.seconds.toFixed(2)} s to write (level 6), peak RSS ${read.rssMb.toFixed(0)} MB`,
    target: "< 15%",
    met: share < 0.15,
    oursSeconds: read.runs,
    theirsSeconds: write.runs,
  });
}

/**
 * Encryption at rest (age, on the fly): the same backup and the same restore with and without it, taking
 * turns. What it costs is ChaCha20-Poly1305 over the archive, next to deflating and inflating it.
 */
function benchEncrypt(siteBytes) {
  console.log("Encryption (age) against the same work unencrypted:");
  const key = path.join(out, "bench-key.txt");
  fresh(key)();
  execFileSync("age-keygen", ["-o", key], { stdio: "ignore" });
  const recipient = /public key: (age1[0-9a-z]+)/.exec(fs.readFileSync(key, "utf8"))[1];
  const plain = path.join(out, "plain.zip");
  const sealed = path.join(out, "sealed.zip.age");
  const node = `MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)}`;
  const [p, e] = interleaved(
    { label: "backup, plain", fn: () => measure(`${node} archive --root ${sh(site)} --out ${sh(plain)} --level 6`), before: fresh(plain) },
    {
      label: "backup, encrypted",
      fn: () => measure(`${node} archive --root ${sh(site)} --out ${sh(sealed)} --level 6 --encrypt-to ${recipient}`),
      before: fresh(sealed),
    },
  );
  compare("encrypted backup (vs plain)", siteBytes, e, p, "same backup, plain", 0.9);
  const decrypted = spawnSync("sh", [
    "-c",
    `age -d -i ${sh(key)} ${sh(sealed)} | cmp - ${sh(plain)} >/dev/null 2>&1; age -d -i ${sh(key)} -o ${sh(plain)}.check ${sh(sealed)} && unzip -tq ${sh(plain)}.check`,
  ]);
  console.log(`  age -d then unzip -t on the encrypted archive: ${decrypted.status === 0 ? "clean" : "FAILED"}`);
  fresh(`${plain}.check`)();
  const dest = extractionTargets(path.join(out, "extract-enc"));
  const [rp, re] = interleaved(
    { label: "restore, plain", fn: () => measure(`${node} extract --archive ${sh(plain)} --dest ${sh(dest.next())}`), before: dest.before },
    {
      label: "restore, encrypted",
      fn: () => measure(`${node} extract --archive ${sh(sealed)} --dest ${sh(dest.next())} --identity ${sh(key)}`),
      before: dest.before,
    },
  );
  compare("encrypted restore (vs plain)", siteBytes, re, rp, "same restore, plain", 0.9);
  for (const f of [plain, sealed, key]) fresh(f)();
}

function benchExtract(archive, siteBytes) {
  console.log("Extraction for restore:");
  const dest = extractionTargets(path.join(out, "extract"));
  const zipFile = path.join(out, "zip.zip");
  // Writing 1 GB is bound by the disk: each run starts with the previous run's writes flushed.
  const [a, b] = interleaved(
    {
      label: "ours (verify and stage)",
      fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} extract --archive ${sh(archive)} --dest ${sh(dest.next())}`),
      before: dest.before,
    },
    { label: "unzip", fn: () => measure(`unzip -q ${sh(zipFile)} -d ${sh(dest.next())}`), before: dest.before },
  );
  compare("restore extraction", siteBytes, a, b, "unzip", 1.0);
}

/**
 * Restore of a real dependency tree, files only: this project's own node_modules as `npm ci` made it (tens
 * of thousands of small files, a few large binaries, some links). Each tool extracts what it wrote.
 */
function benchDeps() {
  const tree = path.join(root, "node_modules");
  const entries = fs.readdirSync(tree, { withFileTypes: true, recursive: true });
  const files = entries.filter((e) => e.isFile()).map((e) => fs.statSync(path.join(e.parentPath, e.name)).size);
  const bytes = files.reduce((sum, n) => sum + n, 0);
  console.log(`Restore of a dependency tree (node_modules: ${files.length} files, ${(bytes / 1048576).toFixed(0)} MB):`);
  const ours = path.join(out, "deps.zip");
  const theirs = path.join(out, "deps-zip.zip");
  for (const file of [ours, theirs]) fresh(file)();
  execFileSync("sh", [
    "-c",
    `MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} archive --root ${sh(tree)} --out ${sh(ours)} --level 6 > /dev/null`,
  ]);
  execFileSync("sh", ["-c", `cd ${sh(root)} && zip -q -r -y -6 ${sh(theirs)} node_modules`]);
  const dest = extractionTargets(path.join(out, "deps-extract"));
  const [a, b] = interleaved(
    {
      label: "ours (verify and stage)",
      fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} extract --archive ${sh(ours)} --dest ${sh(dest.next())}`),
      before: dest.before,
    },
    { label: "unzip", fn: () => measure(`unzip -q ${sh(theirs)} -d ${sh(dest.next())}`), before: dest.before },
  );
  compare("restore of a dependency tree", bytes, a, b, "unzip", 1.0);
  const links = entries.filter((e) => e.isSymbolicLink()).length;
  rows.at(-1).note = `node_modules: ${files.length} files, ${links} links, largest ${(Math.max(...files) / 1048576).toFixed(0)} MB`;
}

function benchDump(dbBytes) {
  console.log("Database dump:");
  const url = `mysql://root@127.0.0.1:3306/${dbName}`;
  const ours = path.join(out, "dump.zip");
  const theirs = path.join(out, "dump.sql.gz");
  const args = "--single-transaction --quick --routines --triggers --events --hex-blob --no-tablespaces --default-character-set=utf8mb4 --skip-dump-date";
  const [a, b] = interleaved(
    {
      label: "ours level 1",
      fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} dump --url ${sh(url)} --out ${sh(ours)} --level 1`),
      before: fresh(ours),
    },
    { label: "mysqldump | gzip -1", fn: () => measure(`mysqldump -h 127.0.0.1 -u root ${args} ${dbName} | gzip -1 > ${sh(theirs)}`) },
  );
  const dumpBytes = Number(execFileSync("sh", ["-c", `gzip -dc ${sh(theirs)} | wc -c`], { encoding: "utf8" }).trim());
  compare("database dump", dumpBytes, a, b, "mysqldump | gzip -1", 0.95);
  rows.at(-1).note = `InnoDB data ${(dbBytes / 1048576).toFixed(0)} MB, dump ${(dumpBytes / 1048576).toFixed(0)} MB of SQL`;
}

// ---------- PostgreSQL ----------

const pgName = `safekeep_bench_${process.pid}_${Date.now().toString(36)}`;
let pgCreated = false;
const psql = (sql, db = "postgres") =>
  execFileSync("psql", ["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", db], {
    input: sql,
    encoding: "utf8",
  });

function createPgDatabase() {
  console.log(`Creating PostgreSQL database ${pgName} with ${size.pgRows} orders ...`);
  psql(`CREATE DATABASE "${pgName}"`);
  pgCreated = true;
  // The same shapes as the MariaDB rows, made by the server from generate_series: text that compresses
  // like real rows (names, hashes, JSON), a numeric, a timestamp, and indexes pg_dump must recreate.
  psql(
    `CREATE TABLE orders (id int PRIMARY KEY, customer varchar(64), email varchar(128), status varchar(16),
       total numeric(10,2), created timestamp, notes text);
     CREATE INDEX ON orders (customer);
     CREATE TABLE events (id int PRIMARY KEY, order_id int REFERENCES orders, payload jsonb);
     CREATE INDEX ON events (order_id);
     INSERT INTO orders SELECT s, 'customer-' || (('x' || substr(md5(${SEED} || '-' || s), 1, 8))::bit(32)::int & 65535),
       substr(md5(s::text), 1, 10) || '@example.com', (ARRAY['new', 'paid', 'shipped', 'refunded'])[1 + s % 4],
       (s::bigint * 7919 % 100000) / 100.0, timestamp '2024-01-01' + (s::bigint * 37 % 31536000) * interval '1 second',
       'Order ' || s || ' notes: ' || repeat(substr(sha256((${SEED} || '-' || s)::bytea)::text, 3, 24), 1 + s % 4)
       FROM generate_series(1, ${size.pgRows}) s;
     INSERT INTO events SELECT s * 2 + k, s, jsonb_build_object('type', (ARRAY['created', 'paid', 'mailed'])[1 + k],
       'hash', encode(sha256((s || '-' || k || '-' || ${SEED})::bytea), 'hex'), 'ip', '10.' || s % 255 || '.' || k || '.1')
       FROM generate_series(1, ${size.pgRows}) s, generate_series(0, 1) k;
     ANALYZE;`,
    pgName,
  );
  return Number(psql(`SELECT pg_database_size(current_database())`, pgName).trim());
}

function dropPgDatabase() {
  if (!pgCreated) return;
  try {
    psql(`DROP DATABASE IF EXISTS "${pgName}" WITH (FORCE)`);
    pgCreated = false;
  } catch {}
}

/** Our dump through the PostgreSQL driver (as a backup runs it, into the archive) against pg_dump | gzip -1. */
function benchPgDump(dbBytes) {
  console.log("PostgreSQL dump:");
  const url = `postgres://postgres@127.0.0.1:5432/${pgName}`;
  const ours = path.join(out, "pgdump.zip");
  const theirs = path.join(out, "pgdump.sql.gz");
  // The driver's own arguments, so that both sides produce the same SQL.
  const args = `--format=plain --no-owner --no-privileges --encoding=UTF8`;
  const [a, b] = interleaved(
    {
      label: "ours level 1",
      fn: () => measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} dump --url ${sh(url)} --out ${sh(ours)} --level 1`),
      before: fresh(ours),
    },
    { label: "pg_dump | gzip -1", fn: () => measure(`pg_dump -h 127.0.0.1 -U postgres ${args} ${sh(pgName)} | gzip -1 > ${sh(theirs)}`) },
  );
  const dumpBytes = Number(execFileSync("sh", ["-c", `gzip -dc ${sh(theirs)} | wc -c`], { encoding: "utf8" }).trim());
  compare("PostgreSQL dump", dumpBytes, a, b, "pg_dump | gzip -1", 0.95);
  rows.at(-1).note = `database ${(dbBytes / 1048576).toFixed(0)} MB on disk, dump ${(dumpBytes / 1048576).toFixed(0)} MB of SQL`;
  rows.at(-1).oursArchiveMb = +(fs.statSync(ours).size / 1048576).toFixed(1);
  rows.at(-1).theirsArchiveMb = +(fs.statSync(theirs).size / 1048576).toFixed(1);
  fresh(ours)();
  fresh(theirs)();
}

// ---------- the portal: full backup via CLI, download, list ----------

const portalDir = path.join(work, "portal");
const account = { email: "bench@localhost", password: "bench-password-123456" };
function portalEnv() {
  return {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: `file:${path.join(portalDir, "portal.db")}`,
    NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    NEXTAUTH_URL: `http://127.0.0.1:${port}`,
    BACKUP_DIR: path.join(portalDir, "backup"),
    BACKUP_FILE_ROOTS: site,
    BACKUP_RUNTIME_BINARY: process.execPath,
    BACKUP_MODULE_ENABLED: "true",
    BACKUP_DATABASE_URL: `mysql://root@127.0.0.1:3306/${dbName}`,
    BACKUP_COMPRESSION: "fast",
    // Without SMTP the job's mail is written to an outbox: the bench's, not the installation's var/.
    MAIL_OUTBOX_DIR: path.join(portalDir, "outbox"),
  };
}

function preparePortal() {
  fs.rmSync(portalDir, { recursive: true, force: true });
  fs.mkdirSync(portalDir, { recursive: true });
  prepareWithAdmin(portalEnv(), account);
}

/**
 * What reporting progress costs: the same archive with and without the real reporter writing a Backup
 * row once a second, runs interleaved so that drift in the machine hits both; the time is the archive
 * call's own (no process start). Also checks the count ends at the total.
 */
async function benchProgress(siteBytes) {
  console.log("Progress reporting (files archive, level 6, with and without the reporter):");
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path.join(portalDir, "portal.db"));
  const id = db
    .prepare(
      `INSERT INTO "Backup" (fileName, kind, status, phase, percent, bytesDone, bytesTotal, createdAt) VALUES (?, 'backup', 'running', 'starting', 0, 0, 0, ?)`,
    )
    .run(`bench-progress-${Date.now()}.zip`, new Date().toISOString()).lastInsertRowid;
  const ours = path.join(out, "progress.zip");
  const run = (progress) => {
    fresh(ours)();
    const r = measure(
      `MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} archive --root ${sh(site)} --out ${sh(ours)} --level 6${progress ? ` --progress-id ${id}` : ""}`,
      portalEnv(),
    );
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
  };
  const without = [];
  const withIt = [];
  let last = null;
  for (let i = 0; i < reps; i++) {
    without.push(run(false).elapsedMs);
    last = run(true);
    withIt.push(last.elapsedMs);
  }
  const row = db.prepare(`SELECT bytesDone, bytesTotal FROM "Backup" WHERE id = ?`).get(id);
  // Left as a job would be, so the portal's reaper has nothing to take for a dead worker.
  db.prepare(`UPDATE "Backup" SET status = 'completed', phase = 'done' WHERE id = ?`).run(id);
  db.close();
  // The reporter's own price: its writes times what one write costs, against the run. The A/B difference
  // of whole runs is reported too, but the machine's run-to-run noise (±10%) is larger than the effect.
  const cost = (last.writes * last.msPerWrite) / last.elapsedMs;
  const abDifference = (median(withIt) - median(without)) / median(without);
  const accurate = last.inputBytes === last.totalFileBytes && row.bytesDone === last.totalFileBytes;
  console.log(
    `  ${last.writes} writes × ${last.msPerWrite.toFixed(2)} ms in ${(last.elapsedMs / 1000).toFixed(1)} s = ${(cost * 100).toFixed(2)}%; A/B without ${median(without).toFixed(0)} ms, with ${median(withIt).toFixed(0)} ms (${(abDifference * 100).toFixed(1)}%); counted ${row.bytesDone} of ${row.bytesTotal} bytes`,
  );
  rows.push({
    name: "progress reporting",
    inputMb: +(siteBytes / 1048576).toFixed(1),
    withoutMs: without,
    withMs: withIt,
    writes: last.writes,
    msPerWrite: +last.msPerWrite.toFixed(3),
    costPercent: +(cost * 100).toFixed(2),
    abDifferencePercent: +(abDifference * 100).toFixed(1),
    target: "cost < 2%, count ends at the total",
    met: cost < 0.02 && accurate,
    note: `${last.writes} writes × ${last.msPerWrite.toFixed(2)} ms; whole runs with/without differ by ${(abDifference * 100).toFixed(1)}% (noise); counted ${row.bytesDone} of ${row.bytesTotal} bytes${accurate ? " (exact)" : " (NOT exact)"}`,
  });
}

function benchFullBackup(totalBytes) {
  console.log("Full backup through the CLI (files + database):");
  const env = portalEnv();
  const r = repeat("backup:create", () => {
    fs.rmSync(path.join(portalDir, "backup"), { recursive: true, force: true });
    // As `npm run backup:create` and the portal's worker run it (lib/backup/spawn.ts).
    return measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 dist/cli.mjs backup:create`, env);
  });
  const files = fs.readdirSync(path.join(portalDir, "backup")).filter((f) => f.endsWith(".zip"));
  rows.push({
    name: "full backup (CLI)",
    inputMb: +(totalBytes / 1048576).toFixed(1),
    oursMbps: +(totalBytes / 1048576 / r.seconds).toFixed(1),
    theirsLabel: null,
    ratio: null,
    target: null,
    oursPeakRssMb: +r.rssMb.toFixed(0),
    oursSeconds: r.runs,
  });
  return path.join(portalDir, "backup", files.at(-1));
}

function curl(url, cookie) {
  const r = measure(`curl -s -f -o /dev/null ${cookie ? `-H ${sh(`cookie: ${cookie}`)}` : ""} -w '%{size_download} %{http_code}' ${sh(url)}`);
  return r;
}

async function withPortal(fn) {
  const child = startPortal(portalEnv(), port);
  try {
    const base = `http://127.0.0.1:${port}`;
    await untilUp(base);
    return await fn(base, await signIn(base, account));
  } finally {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  }
}

/** curl runs synchronously, so the servers it talks to must live in other processes. */
function plainServer(file) {
  const code = `const fs=require("fs"),http=require("http");const f=process.argv[1];const s=fs.statSync(f).size;
http.createServer((q,r)=>{r.writeHead(200,{"Content-Type":"application/zip","Content-Length":s});fs.createReadStream(f).pipe(r);}).listen(${port + 1},"127.0.0.1",()=>console.log("up"));`;
  return spawn(process.execPath, ["-e", code, file], { stdio: ["ignore", "pipe", "inherit"], detached: true });
}

async function benchDownloadAndList(archive) {
  const fileName = path.basename(archive);
  const bytes = fs.statSync(archive).size;
  await withPortal(async (base, cookie) => {
    if (!skip.has("download")) {
      console.log(`Download of a ${(bytes / 1048576).toFixed(0)} MB backup over loopback (curl):`);
      const headers = execFileSync("curl", ["-s", "-D", "-", "-o", "/dev/null", "-H", `cookie: ${cookie}`, `${base}/api/v1/backups/download/${fileName}`], {
        encoding: "utf8",
      });
      const hasLength = /^content-length:/im.test(headers);
      const plain = plainServer(archive);
      await new Promise((r) => plain.stdout.once("data", r));
      try {
        const [a, b] = interleaved(
          { label: "our download route", fn: () => curl(`${base}/api/v1/backups/download/${fileName}`, cookie) },
          { label: "plain node http + createReadStream", fn: () => curl(`http://127.0.0.1:${port + 1}/`) },
        );
        compare("download", bytes, a, b, "node http + fs.createReadStream", 0.9);
        rows.at(-1).note = `Content-Length ${hasLength ? "sent" : "NOT sent (chunked)"}`;
        rows.at(-1).oursPeakRssMb = null;
      } finally {
        try {
          process.kill(-plain.pid, "SIGTERM");
        } catch {}
      }
    }
    if (!skip.has("list")) await benchList(base, cookie);
  });
}

async function benchList(base, cookie) {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(path.join(portalDir, "portal.db"));
  const count = db.prepare(`SELECT COUNT(*) AS n FROM "Backup"`).get().n;
  const insert = db.prepare(
    `INSERT INTO "Backup" (fileName, kind, status, phase, percent, bytesDone, bytesTotal, sizeBytes, sha256, createdAt, startedAt, finishedAt)
     VALUES (?, 'backup', 'completed', 'done', 100, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = count; i < 10_000; i++) {
      const t = new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString();
      const stamp = t.replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
      insert.run(`bench-${stamp}-${100000 + i}.zip`, 1e9, 1e9, 5e8, "0".repeat(64), t, t, t);
    }
  })();
  db.close();
  console.log("Backups list page with 10,000 records (signed in, sequential requests):");
  const times = [];
  // Warm-up; the first request may meet a keep-alive socket the server closed while the rows went in.
  for (let i = 0; i < 10; i++)
    await fetch(`${base}/backups`, { headers: { cookie } }).then(
      (r) => r.text(),
      () => null,
    );
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const r = await fetch(`${base}/backups`, { headers: { cookie }, redirect: "manual" });
    await r.text();
    if (r.status !== 200) throw new Error(`/backups answered ${r.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = (q) => +times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(`  p50 ${p(0.5)} ms, p95 ${p(0.95)} ms`);
  rows.push({ name: "backups list page, 10,000 records", p50Ms: p(0.5), p95Ms: p(0.95), target: "p95 < 150 ms", met: p(0.95) < 150 });
}

// ---------- offsite upload ----------

/** s3rver in a process of its own (measure() blocks this one), storing in `dir`; resolves once it listens. */
async function startS3rver(dir, bucket) {
  const code = `const S3rver=require("s3rver");new S3rver({address:"127.0.0.1",port:${port + 2},silent:true,directory:process.argv[1],configureBuckets:[{name:${JSON.stringify(bucket)}}]}).run().then(()=>console.log("up"));`;
  const child = spawn(process.execPath, ["-e", code, dir], { cwd: root, stdio: ["ignore", "pipe", "inherit"], detached: true });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  return child;
}

/**
 * The offsite step's multipart upload against the SDK's own `Upload` (lib-storage, its defaults) of the
 * same ~1 GB incompressible file to s3rver on loopback, taking turns; the object is removed between runs.
 * `--upload-part-mb` and `--upload-concurrency` try other settings for ours.
 */
async function benchUpload() {
  const mb = Number(opt("upload-mb", "1024"));
  const file = path.join(work, `upload-${mb}.bin`);
  if (!fs.existsSync(file) || fs.statSync(file).size !== mb * 1048576) {
    console.log(`Writing a ${mb} MB file to upload ...`);
    const fd = fs.openSync(file, "w");
    for (let i = 0; i < mb; i += 64) fs.writeSync(fd, seededBytes(`upload-${i}`, Math.min(64, mb - i) * 1048576));
    fs.closeSync(fd);
  }
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "r");
  const chunk = Buffer.alloc(16 << 20);
  for (let n; (n = fs.readSync(fd, chunk)) > 0;) hash.update(chunk.subarray(0, n));
  fs.closeSync(fd);
  const sha256 = hash.digest("hex");
  const dir = path.join(work, "s3rver");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const bucket = "bench";
  const server = await startS3rver(dir, bucket);
  const endpoint = `http://127.0.0.1:${port + 2}`;
  const clear = () => {
    for (const entry of fs.readdirSync(path.join(dir, bucket))) fs.rmSync(path.join(dir, bucket, entry), { recursive: true, force: true });
    execFileSync("sync");
  };
  const partMb = opt("upload-part-mb", "");
  const concurrency = opt("upload-concurrency", "");
  const tuning = `${partMb ? ` --part-mb ${partMb}` : ""}${concurrency ? ` --concurrency ${concurrency}` : ""}`;
  const base = `MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 ${sh(engine)} upload --file ${sh(file)} --endpoint ${endpoint} --bucket ${bucket}`;
  console.log(`Offsite upload of ${mb} MB to s3rver on loopback${tuning ? ` (ours:${tuning})` : ""}:`);
  try {
    const [a, b] = interleaved(
      { label: "ours (lib/offsite/multipart.ts)", fn: () => measure(`${base} --key ours.bin --mode ours --sha256 ${sha256}${tuning}`), before: clear },
      { label: "SDK Upload (lib-storage defaults)", fn: () => measure(`${base} --key sdk.bin --mode sdk`), before: clear },
    );
    compare("offsite upload (s3rver, loopback)", mb * 1048576, a, b, "@aws-sdk/lib-storage Upload, defaults", 1.0);
    rows.at(-1).note =
      `ours: ${partMb || 8} MB parts, ${concurrency || 4} at a time; SDK: 5 MB parts, 4 at a time; the same client settings; s3rver shares the 2 cores`;
  } finally {
    clear();
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {}
  }
}

/**
 * A whole backup (files and database, `backup:create` as the portal's worker runs it) in remote-only mode:
 * the archive streams to s3rver as it is written. Its peak RSS is the figure (target < 200 MB); the
 * destination comes from the environment, as on a fresh install, its key in the environment only.
 */
async function benchRemoteOnly(totalBytes) {
  console.log("Remote-only backup through the CLI (files + database, straight to s3rver on loopback):");
  const dir = path.join(work, "s3rver");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const server = await startS3rver(dir, "bench");
  const backupDir = path.join(portalDir, "backup");
  const env = {
    ...portalEnv(),
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port + 2}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    BACKUP_S3_BUCKET: "bench",
    BACKUP_S3_FORCE_PATH_STYLE: "true",
    BACKUP_S3_REMOTE_ONLY: "true",
  };
  let leftHere = 0;
  try {
    const r = repeat("backup:create, remote-only", () => {
      for (const entry of fs.readdirSync(path.join(dir, "bench"))) fs.rmSync(path.join(dir, "bench", entry), { recursive: true, force: true });
      fs.rmSync(backupDir, { recursive: true, force: true });
      // Exit code 2 is "completed with warnings": a remote-only backup always has one (not read back).
      const run = measure(`MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 dist/cli.mjs backup:create; s=$?; [ $s -eq 0 ] || [ $s -eq 2 ]`, env);
      leftHere = Math.max(leftHere, fs.readdirSync(backupDir).filter((f) => f.endsWith(".zip")).length);
      return run;
    });
    const stored = fs.readdirSync(path.join(dir, "bench")).filter((f) => f.endsWith(".zip._S3rver_object"));
    rows.push({
      name: "remote-only backup (CLI)",
      inputMb: +(totalBytes / 1048576).toFixed(1),
      oursMbps: +(totalBytes / 1048576 / r.seconds).toFixed(1),
      theirsLabel: null,
      ratio: null,
      target: "peak RSS < 200 MB",
      met: r.rssMb < 200,
      oursPeakRssMb: +r.rssMb.toFixed(0),
      oursSeconds: r.runs,
      note: `peak RSS ${r.rssMb < 200 ? "met" : "NOT met"} (< 200 MB); ${stored.length} object(s) in the bucket, ${leftHere} archive(s) left on disk`,
    });
  } finally {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {}
  }
}

/**
 * Sizes huge and millions: one backup, verify and restore extraction (each in its own process, peak RSS
 * read by /usr/bin/time), then the archive tested by unzip and 7z, whose zip64 readers differ from ours.
 */
function benchOnce(siteBytes) {
  const archive = path.join(out, `${sizeName}.zip`);
  const dest = path.join(out, "extract");
  const node = "MALLOC_ARENA_MAX=1 node --max-semi-space-size=1";
  const step = (name, command, before) => {
    before?.();
    console.log(`${name} ...`);
    const r = measure(command);
    console.log(`  ${r.seconds.toFixed(1)} s, peak RSS ${r.rssMb.toFixed(0)} MB`);
    rows.push({
      name,
      inputMb: +(siteBytes / 1048576).toFixed(1),
      oursMbps: +(siteBytes / 1048576 / r.seconds).toFixed(1),
      theirsLabel: null,
      ratio: null,
      target: null,
      oursPeakRssMb: +r.rssMb.toFixed(0),
      oursSeconds: [r.seconds],
      note: `peak RSS target < 200 MB: ${r.rssMb < 200 ? "met" : "NOT met"}`,
    });
    return r;
  };
  try {
    step(`${sizeName}: backup (files archive, level 1)`, `${node} ${sh(engine)} archive --root ${sh(site)} --out ${sh(archive)} --level 1`, fresh(archive));
    rows.at(-1).oursArchiveMb = +(fs.statSync(archive).size / 1048576).toFixed(1);
    step(`${sizeName}: verify after write`, `${node} ${sh(engine)} verify --archive ${sh(archive)}`);
    step(`${sizeName}: restore extraction`, `${node} ${sh(engine)} extract --archive ${sh(archive)} --dest ${sh(dest)}`, () => {
      fresh(dest)();
      execFileSync("sync");
    });
    fresh(dest)();
    for (const [label, command] of [
      ["unzip -t", `unzip -tq ${sh(archive)}`],
      ["7z t", `7z t ${sh(archive)}`],
    ]) {
      console.log(`${label} ...`);
      const r = spawnSync("sh", ["-c", command], { encoding: "utf8", maxBuffer: 64 << 20 });
      const tail = (r.stdout + r.stderr).trim().split("\n").slice(-3).join(" / ");
      console.log(`  ${r.status === 0 ? "clean" : "FAILED"}: ${tail}`);
      rows.push({ name: `${sizeName}: ${label} on our archive`, costPercent: null, zipTest: r.status === 0 ? "clean" : "FAILED", note: tail });
    }
  } finally {
    fresh(archive)();
    fresh(dest)();
  }
}

// ---------- report ----------

function table() {
  const lines = [`| Measurement | Input | Ours | Reference tool | Ratio (target) | Our peak RSS |`, `|---|---|---|---|---|---|`];
  for (const r of rows) {
    if (r.failed) {
      lines.push(`| ${r.name} | – | FAILED: ${r.failed} | – | – | – |`);
      continue;
    }
    if (r.costPercent != null) {
      lines.push(`| ${r.name} | ${r.inputMb} MB | ${r.costPercent}% of the archive time; ${r.note} | – | ${r.met ? "met" : "NOT met"} (${r.target}) | – |`);
      continue;
    }
    if (r.zipTest) {
      lines.push(`| ${r.name} | – | ${r.zipTest}: ${r.note} | – | – | – |`);
      continue;
    }
    if (r.p95Ms != null) {
      lines.push(`| ${r.name} | 200 requests | p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms | – | ${r.met ? "met" : "NOT met"} (${r.target}) | – |`);
      continue;
    }
    const ref = r.theirsLabel ? `${r.theirsLabel}: ${r.theirsMbps} MB/s${r.reference ? `; ${r.reference.label}: ${r.reference.mbps} MB/s` : ""}` : "–";
    const ratio = r.ratio == null ? "–" : `${r.ratio}× (≥ ${r.target}${r.met ? "" : ", NOT met"})`;
    const size = r.oursArchiveMb ? ` (→ ${r.oursArchiveMb} MB${r.theirsArchiveMb ? ` vs ${r.theirsArchiveMb} MB` : ""})` : "";
    const note = r.note ? ` ${r.note}` : "";
    lines.push(
      `| ${r.name} | ${r.inputMb} MB | ${r.oursMbps} MB/s${size} | ${ref}${note} | ${ratio} | ${r.oursPeakRssMb == null ? "–" : `${r.oursPeakRssMb} MB`} |`,
    );
  }
  // A pipe inside a cell would split it.
  return lines.map((l) => l.replace(/ \| (?=pigz|gzip)/g, " \\| ")).join("\n");
}

async function main() {
  const started = Date.now();
  ensureTools();
  fs.mkdirSync(out, { recursive: true });
  await buildEngine();
  // The database dumps and the upload alone need no site (generating the full one takes minutes).
  const needsSite = !onlyUpload && JOBS.some((job) => !["dump", "pgdump", "upload", "deps"].includes(job) && !skip.has(job));
  if (needsSite) generateSite();
  const siteBytes = needsSite ? treeBytes(site) : 0;
  let dbBytes = 0;
  if (ONCE.has(sizeName)) {
    try {
      benchOnce(siteBytes);
    } finally {
      // Its 10 GB are not worth keeping between runs.
      fs.rmSync(site, { recursive: true, force: true });
    }
    for (const job of JOBS) skip.add(job);
  }
  try {
    if (["dump", "full", "download", "list", "remote"].some((job) => !skip.has(job))) dbBytes = createDatabase();
    // Extraction reads the archives the files measurement writes.
    const archive = skip.has("files") && skip.has("extract") ? null : benchFiles(siteBytes);
    if (!skip.has("verify")) benchVerify(siteBytes);
    if (!skip.has("extract")) benchExtract(archive, siteBytes);
    if (!skip.has("deps")) benchDeps();
    if (!skip.has("encrypt")) benchEncrypt(siteBytes);
    if (!skip.has("dump")) benchDump(dbBytes);
    if (!skip.has("upload")) await benchUpload();
    if (!skip.has("pgdump")) {
      const pgBytes = createPgDatabase();
      try {
        benchPgDump(pgBytes);
      } finally {
        dropPgDatabase();
      }
    }
    if (["progress", "full", "download", "list", "remote"].some((job) => !skip.has(job))) {
      const haveBuild = fs.existsSync(path.join(root, ".next/BUILD_ID"));
      preparePortal();
      if (!skip.has("remote")) await benchRemoteOnly(siteBytes + dbBytes);
      if (!skip.has("progress")) await benchProgress(siteBytes);
      const full = skip.has("full") && skip.has("download") && skip.has("list") ? null : benchFullBackup(siteBytes + dbBytes);
      if (!full || (skip.has("download") && skip.has("list"))) console.log("Download and list: skipped");
      else if (!haveBuild) console.log("Download and list: skipped (build the portal first: npm run build)");
      else
        await benchDownloadAndList(full).catch((error) => {
          // The rest of the table is still worth writing.
          console.error(error);
          rows.push({ name: "download and list", failed: String(error.message ?? error) });
        });
    }
  } finally {
    dropDatabase();
    for (const dir of leftovers) fresh(dir)();
  }
  const date = new Date().toISOString();
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, Node ${process.version}`;
  const md = `# Safekeep benchmark, ${onlyUpload ? "offsite upload" : sizeName}\n\n${date}; ${machine}; ${ONCE.has(sizeName) ? "one run each" : `median of ${reps}`}; input MB/s (uncompressed bytes in per second).\n\n${table()}\n`;
  const results = path.join(root, "bench/results");
  fs.mkdirSync(results, { recursive: true });
  const stem = path.join(
    results,
    `${date.slice(0, 10)}-${onlyUpload ? "upload" : `${sizeName}${only ? `-${only.replace(/,/g, "+")}` : skip.size && !ONCE.has(sizeName) ? "-partial" : ""}`}`,
  );
  fs.writeFileSync(`${stem}.json`, JSON.stringify({ date, size: sizeName, machine, reps, seed: SEED, siteBytes, dbBytes, rows }, null, 2));
  fs.writeFileSync(`${stem}.md`, md);
  console.log(`\n${md}\nWritten ${stem}.json and .md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

process.on("SIGINT", () => {
  dropDatabase();
  dropPgDatabase();
  process.exit(130);
});
main().catch((error) => {
  console.error(error);
  dropDatabase();
  dropPgDatabase();
  process.exitCode = 1;
});
