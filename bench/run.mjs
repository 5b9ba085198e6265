#!/usr/bin/env node
// `npm run bench [-- --size small|medium|full] [--reps N]`: our engine against the command-line tools
// on the same generated data, side by side in one run. A benchmark, not a test: it asserts nothing.
import { execFileSync, spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const SIZES = {
  small: { text: 2000, packed: 20, big: 1, bigMB: 20, dbRows: 100_000 },
  medium: { text: 8000, packed: 100, big: 2, bigMB: 50, dbRows: 500_000 },
  full: { text: 20_000, packed: 300, big: 3, bigMB: 50, dbRows: 1_500_000 },
};
const SEED = 20261123;
const LEVEL = 6;

const { values: opts } = parseArgs({ options: { size: { type: "string", default: "full" }, reps: { type: "string", default: "3" } } });
const size = SIZES[opts.size];
if (!size) throw new Error(`--size must be one of ${Object.keys(SIZES).join(", ")}`);
const reps = Math.max(1, Number(opts.reps));
const benchDir = path.dirname(new URL(import.meta.url).pathname);
const work = path.join(benchDir, "work", opts.size);
const site = path.join(work, "site");
const dbName = `safekeep_bench_${opts.size}`;

function ensureTools() {
  const missing = ["zip", "unzip", "pigz"].filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length) execFileSync("apt-get", ["install", "-y", ...missing], { stdio: "inherit" });
}

/** Deterministic PRNG (mulberry32): the same seed gives the same site on every machine. */
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

/** Incompressible bytes from a seed (AES-CTR of zeros), fast and reproducible. */
function randomBytesFrom(seed, length) {
  const key = createHash("sha256").update(`key ${seed}`).digest();
  return createCipheriv("aes-256-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

const WORDS = ("const let return function import export from if else for while await async class extends new this " +
  "null undefined true false string number interface type props state value index items user backup archive file " +
  "render component request response error message config settings database query result length map filter").split(" ");

function sourceText(rand, bytes) {
  const lines = [];
  let n = 0;
  while (n < bytes) {
    const indent = "  ".repeat(Math.floor(rand() * 4));
    const words = Array.from({ length: 3 + Math.floor(rand() * 9) }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const line = `${indent}${words.join(" ")}${rand() < 0.5 ? ";" : " {"}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join("\n").slice(0, bytes);
}

function generateSite() {
  const marker = path.join(work, `.site-${SEED}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(site, { recursive: true, force: true });
  const rand = prng(SEED);
  const put = (rel, data) => {
    fs.mkdirSync(path.dirname(path.join(site, rel)), { recursive: true });
    fs.writeFileSync(path.join(site, rel), data);
  };
  const exts = ["php", "js", "ts", "css", "html", "json", "md", "txt"];
  for (let i = 0; i < size.text; i++) {
    const dir = `src/m${Math.floor(i / 200)}/d${Math.floor(i / 20) % 10}`;
    put(`${dir}/f${i}.${exts[i % exts.length]}`, sourceText(rand, 1024 + Math.floor(rand() * 19 * 1024)));
  }
  const packed = ["jpg", "png", "zip", "gz"];
  for (let i = 0; i < size.packed; i++) {
    put(`uploads/${2020 + (i % 6)}/p${i}.${packed[i % 4]}`, randomBytesFrom(SEED + i, (1 + Math.floor(rand() * 4)) * 1024 * 1024 + Math.floor(rand() * 1024 * 1024)));
  }
  for (let i = 0; i < size.big; i++) {
    // One big log (compressible), then a big video (not).
    const bytes = size.bigMB * 1024 * 1024;
    if (i % 2 === 0) put(`logs/big-${i}.log`, sourceText(prng(SEED + 1000 + i), bytes));
    else put(`media/big-${i}.mp4`, randomBytesFrom(SEED + 1000 + i, bytes));
  }
  fs.writeFileSync(marker, "");
}

const mysql = (sql, db = "") => execFileSync("mysql", ["-uroot", "-h127.0.0.1", "-N", ...(db ? [db] : []), "-e", sql], { encoding: "utf8" });

function generateDatabase() {
  const want = String(size.dbRows);
  const have = mysql(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='${dbName}' AND table_name='posts'`).trim() === "1"
    ? mysql("SELECT COUNT(*) FROM posts", dbName).trim()
    : "";
  if (have === want) return;
  mysql(`DROP DATABASE IF EXISTS ${dbName}; CREATE DATABASE ${dbName}`);
  mysql(
    "CREATE TABLE posts (id INT PRIMARY KEY, author INT, title VARCHAR(200), body TEXT, created DATETIME, KEY(author)) ENGINE=InnoDB;" +
      `INSERT INTO posts SELECT seq, seq % 997, CONCAT('Post ', seq, ' about ', MD5(seq * ${SEED})),` +
      " CONCAT_WS(' ', SHA1(seq), REPEAT('lorem ipsum dolor sit amet ', 1 + seq % 9), MD5(seq))," +
      ` '2020-01-01' + INTERVAL seq MINUTE FROM seq_1_to_${size.dbRows}`,
    dbName,
  );
}

function duSize(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return total;
}

/** Runs a shell command, returns wall seconds and the peak RSS of its largest process (GNU time). */
function timed(cmd, cwd = work) {
  const timeFile = path.join(work, "time.out");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M", "-o", timeFile, "sh", "-c", cmd], { cwd, encoding: "utf8", maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${cmd} failed: ${run.stderr}`);
  return { seconds, peakRssMB: Number(fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()) / 1024, stdout: run.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternates ours and theirs each repetition so that machine noise hits both alike. */
function compare(label, inputBytes, ours, theirs, theirsLabel) {
  const a = [];
  const b = [];
  for (let i = 0; i < reps; i++) {
    a.push(ours());
    b.push(theirs());
  }
  const oursS = median(a.map((r) => r.seconds));
  const theirsS = median(b.map((r) => r.seconds));
  const row = {
    label,
    against: theirsLabel,
    inputMB: inputBytes / 1e6,
    oursSeconds: oursS,
    theirsSeconds: theirsS,
    oursMBps: inputBytes / 1e6 / oursS,
    theirsMBps: inputBytes / 1e6 / theirsS,
    ratio: theirsS / oursS,
    oursPeakRssMB: Math.max(...a.map((r) => r.peakRssMB)),
    oursOutputMB: a.at(-1).outputMB,
    theirsOutputMB: b.at(-1).outputMB,
  };
  console.error(`  ${label}: ours ${oursS.toFixed(2)} s, ${theirsLabel} ${theirsS.toFixed(2)} s, ratio ${row.ratio.toFixed(2)}`);
  return row;
}

const engine = path.join(benchDir, "work", "engine.mjs");
const sizeOf = (f) => fs.statSync(f).size / 1e6;

function oursArchive(level, out, siteArg, dbUrl = "") {
  return () => {
    fs.rmSync(out, { force: true });
    const r = timed(`node ${engine} archive ${out} ${level} '${siteArg}' '${dbUrl}'`);
    const own = JSON.parse(r.stdout);
    return { seconds: r.seconds, peakRssMB: own.peakRssMB, outputMB: sizeOf(out) };
  };
}

function shell(cmd, out) {
  return () => {
    fs.rmSync(out, { force: true });
    return { ...timed(cmd), outputMB: sizeOf(out) };
  };
}

async function main() {
  ensureTools();
  fs.mkdirSync(work, { recursive: true });
  await build({
    entryPoints: [path.join(benchDir, "engine.ts")],
    outfile: engine,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    logLevel: "warning",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  console.error(`Generating the ${opts.size} site and database (seed ${SEED}; reused when present)...`);
  generateSite();
  generateDatabase();
  const siteBytes = duSize(site);
  const dbUrl = `mysql://root@127.0.0.1:3306/${dbName}`;
  const rows = [];
  const o = (name) => path.join(work, name);

  console.error(`Measuring, ${reps} repetitions each, median:`);
  rows.push(compare(`Files archive, level ${LEVEL}`, siteBytes, oursArchive(LEVEL, o("ours.zip"), site), shell(`zip -r -q -${LEVEL} ${o("zip.zip")} site`, o("zip.zip")), `zip -r -${LEVEL}`));
  rows.push(compare("Files archive, level 1", siteBytes, oursArchive(1, o("ours1.zip"), site), shell(`zip -r -q -1 ${o("zip1.zip")} site`, o("zip1.zip")), "zip -r -1"));
  rows.push(compare("Files archive, level 1", siteBytes, oursArchive(1, o("ours1.zip"), site), shell(`tar -cf - site | pigz -1 > ${o("site.tgz")}`, o("site.tgz")), "tar | pigz -1"));

  // The dump's size as the input: what mysqldump writes, measured once uncompressed.
  const dumpBytes = Number(timed(`mysqldump -uroot -h127.0.0.1 --single-transaction --quick --hex-blob --skip-dump-date ${dbName} | wc -c`).stdout.trim());
  const dumpCmd = (level) => `mysqldump -uroot -h127.0.0.1 --single-transaction --quick --routines --triggers --events --hex-blob --no-tablespaces --default-character-set=utf8mb4 --skip-dump-date ${dbName} | gzip -${level} > ${o(`dump${level}.sql.gz`)}`;
  rows.push(compare(`Database dump, level ${LEVEL}`, dumpBytes, oursArchive(LEVEL, o("db.zip"), "", dbUrl), shell(dumpCmd(LEVEL), o(`dump${LEVEL}.sql.gz`)), `mysqldump | gzip -${LEVEL}`));
  rows.push(compare("Database dump, level 1", dumpBytes, oursArchive(1, o("db1.zip"), "", dbUrl), shell(dumpCmd(1), o("dump1.sql.gz")), "mysqldump | gzip -1"));
  rows.push(compare(`Site + database, level ${LEVEL}`, siteBytes + dumpBytes, oursArchive(LEVEL, o("full.zip"), site, dbUrl), () => {
    const a = shell(dumpCmd(LEVEL), o(`dump${LEVEL}.sql.gz`))();
    const b = shell(`zip -r -q -${LEVEL} ${o("zip.zip")} site`, o("zip.zip"))();
    return { seconds: a.seconds + b.seconds, peakRssMB: Math.max(a.peakRssMB, b.peakRssMB), outputMB: a.outputMB + b.outputMB };
  }, `mysqldump | gzip -${LEVEL}, then zip -r -${LEVEL}`));

  execFileSync("unzip", ["-tq", o("ours.zip")]);
  const extracted = (dir) => () => fs.rmSync(o(dir), { recursive: true, force: true });
  rows.push(compare("Restore extraction (verify + write)", siteBytes, () => {
    extracted("x-ours")();
    const r = timed(`node ${engine} extract ${o("ours.zip")} ${o("x-ours")}`);
    return { seconds: r.seconds, peakRssMB: JSON.parse(r.stdout).peakRssMB, outputMB: siteBytes / 1e6 };
  }, () => {
    extracted("x-unzip")();
    return { ...timed(`unzip -q -o ${o("ours.zip")} -d ${o("x-unzip")}`), outputMB: siteBytes / 1e6 };
  }, "unzip"));
  extracted("x-ours")();
  extracted("x-unzip")();

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
  const result = { date: new Date().toISOString(), size: opts.size, reps, seed: SEED, machine, siteMB: siteBytes / 1e6, dumpMB: dumpBytes / 1e6, rows };
  const table = markdown(result);
  const resultsDir = path.join(benchDir, "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = result.date.slice(0, 16).replace(/[:T]/g, "-");
  fs.writeFileSync(path.join(resultsDir, `${stamp}-${opts.size}.json`), JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(resultsDir, `${stamp}-${opts.size}.md`), table);
  console.log(table);
}

function markdown(r) {
  const f = (n, d = 1) => n.toFixed(d);
  const lines = [
    `Benchmark ${r.date.slice(0, 10)}, size ${r.size} (site ${f(r.siteMB, 0)} MB, dump ${f(r.dumpMB, 0)} MB), median of ${r.reps}; ${r.machine}`,
    "",
    "| Job | Ours MB/s | Against | Their MB/s | Ratio ours/theirs | Our peak RSS MB | Ours / their output MB |",
    "|---|---:|---|---:|---:|---:|---:|",
    ...r.rows.map((x) => `| ${x.label} | ${f(x.oursMBps)} | ${x.against.replaceAll("|", "\\|")} | ${f(x.theirsMBps)} | ${f(x.ratio, 2)}× | ${f(x.oursPeakRssMB, 0)} | ${f(x.oursOutputMB, 0)} / ${f(x.theirsOutputMB, 0)} |`),
    "",
  ];
  return lines.join("\n");
}

await main();
