#!/usr/bin/env node
// Load test (not a test: it asserts nothing and reports numbers). Starts the built portal on loopback on a
// database and backup directory of its own, measures an unloaded backup, then runs 50 clients listing
// backups and polling a running backup's progress while that backup runs and two large downloads stream.
// Needs `npm run build` first. Bounded: LOAD_MAX_SECONDS (default 120) and LOAD_MAX_REQUESTS (default 200000).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { prepareWithAdmin, signIn, startPortal, untilUp } from "./portal-harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.LOAD_PORT ?? 3190);
const base = `http://127.0.0.1:${port}`;
const dataMb = Number(process.env.LOAD_DATA_MB ?? 200);
const maxSeconds = Number(process.env.LOAD_MAX_SECONDS ?? 120);
const maxRequests = Number(process.env.LOAD_MAX_REQUESTS ?? 200_000);
const connections = Number(process.env.LOAD_CONNECTIONS ?? 50);
const account = { email: "load@localhost", password: "load-test-password-123" };

if (!fs.existsSync(path.join(root, ".next/BUILD_ID"))) {
  console.error("Build the portal first: npm run build");
  process.exit(2);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-load-"));
const dbFile = path.join(work, "portal.db");
// The bare route handler the progress poll is compared with (app/api/load-reference) answers with this file.
const referenceFile = path.join(work, "reference.json");
const env = {
  ...process.env,
  NODE_ENV: "production",
  NEXT_TELEMETRY_DISABLED: "1",
  DATABASE_URL: `file:${dbFile}`,
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  NEXTAUTH_URL: base,
  BACKUP_DIR: path.join(work, "backup"),
  BACKUP_FILE_ROOTS: path.join(work, "storage"),
  BACKUP_RUNTIME_BINARY: process.execPath,
  BACKUP_MODULE_ENABLED: "true",
  BACKUP_DATABASE_URL: "",
  SAFEKEEP_LOAD_REFERENCE_FILE: referenceFile,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function prepare() {
  console.log(`Preparing ${work}: database, an admin, ${dataMb} MB of files to back up`);
  prepareWithAdmin(env, account);
  const storage = path.join(work, "storage");
  fs.mkdirSync(storage, { recursive: true });
  // Half incompressible, half text: a site's mix of media and documents.
  for (let i = 0; i < dataMb / 4; i++) {
    const data = i % 2 ? randomBytes(4_000_000) : Buffer.from(`line ${i} of a document\n`.repeat(170_000)).subarray(0, 4_000_000);
    fs.writeFileSync(path.join(storage, `file-${i}.${i % 2 ? "bin" : "txt"}`), data);
  }
}

/** The server's resident memory, its whole process tree, sampled: current and peak (kernel's high-water mark). */
function memoryOf(pid) {
  const pids = [pid];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (pids.includes(ppid) && !pids.includes(Number(entry))) pids.push(Number(entry));
    } catch {}
  }
  let rss = 0;
  let hwm = 0;
  for (const p of pids) {
    try {
      const status = fs.readFileSync(`/proc/${p}/status`, "utf8");
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmd.includes("backup:run")) continue; // the worker is measured apart
      rss += Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) * 1024;
      hwm += Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) * 1024;
    } catch {}
  }
  return { rss, hwm };
}

function job(id) {
  const db = new Database(dbFile, { readonly: true, timeout: 10_000 });
  const row = db.prepare(`SELECT status, error, startedAt, finishedAt, sizeBytes, fileName FROM "Backup" WHERE id = ?`).get(id);
  db.close();
  return row;
}

// Prisma stores SQLite dates as ISO text (older rows may be epoch milliseconds).
const toMs = (v) => (typeof v === "number" ? v : Date.parse(v));

async function runBackup(cookie) {
  const response = await fetch(`${base}/api/v1/backups`, { method: "POST", headers: { cookie, origin: base, "content-type": "application/json" }, body: "{}" });
  if (response.status !== 202) throw new Error(`create: ${response.status} ${await response.text()}`);
  const { id } = await response.json();
  const done = (async () => {
    for (;;) {
      const row = job(id);
      if (row.status !== "queued" && row.status !== "running") {
        if (row.status !== "completed") throw new Error(`backup ${id} ${row.status}: ${row.error}`);
        return { id, seconds: (toMs(row.finishedAt) - toMs(row.startedAt)) / 1000, ...row };
      }
      await sleep(100);
    }
  })();
  return { id, done };
}

/** Streams a download to nowhere, again and again until told to stop; counts bytes and errors. */
async function downloadLoop(cookie, fileName, stop) {
  const stats = { bytes: 0, completed: 0, errors: 0 };
  while (!stop.stopped) {
    try {
      const response = await fetch(`${base}/api/v1/backups/download/${fileName}`, { headers: { cookie } });
      if (response.status !== 200) throw new Error(String(response.status));
      let whole = true;
      for await (const chunk of response.body) {
        stats.bytes += chunk.length;
        if (stop.stopped) {
          whole = false;
          break;
        }
      }
      if (whole) stats.completed++;
    } catch {
      stats.errors++;
    }
  }
  return stats;
}

const fmtMb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

const POLL_ROUNDS = 3;
const POLL_SECONDS = 5;

/** Requests per second of one route at `connections` clients for POLL_SECONDS; errors count against it. */
async function rate(path, cookie) {
  const result = await autocannon({ url: `${base}${path}`, connections, duration: POLL_SECONDS, headers: { cookie } });
  const errors = result.errors + result.timeouts + result.non2xx;
  return { perSecond: (result.requests.total - errors) / result.duration, errors };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The progress poll against a bare route handler returning the same JSON, side by side: turn by turn on the
 * same server while a backup runs, so the machine's load weighs on both alike.
 */
async function pollAgainstBareRoute(cookie) {
  console.log(`\nProgress poll against a bare route handler with the same JSON, ${POLL_ROUNDS} rounds of ${POLL_SECONDS} s each, a backup running:`);
  let running = await runBackup(cookie);
  fs.writeFileSync(referenceFile, await (await fetch(`${base}/api/v1/backups/${running.id}`, { headers: { cookie } })).text());
  for (let i = 0; i < 5; i++) await (await fetch(`${base}/api/load-reference`)).arrayBuffer();
  const rounds = { poll: [], bare: [], errors: 0 };
  for (let round = 0; round < POLL_ROUNDS; round++) {
    // Busy all along: a backup that finished is followed by another.
    if (!["queued", "running"].includes(job(running.id).status)) running = await runBackup(cookie);
    for (const [key, route] of [
      ["poll", `/api/v1/backups/${running.id}`],
      ["bare", "/api/load-reference"],
    ]) {
      const { perSecond, errors } = await rate(route, cookie);
      rounds[key].push(perSecond);
      rounds.errors += errors;
    }
  }
  await running.done.catch(() => {});
  const poll = median(rounds.poll);
  const bare = median(rounds.bare);
  const result = { pollPerSecond: Math.round(poll), barePerSecond: Math.round(bare), ratio: +(poll / bare).toFixed(2), errors: rounds.errors };
  console.log(`  progress poll     ${result.pollPerSecond} req/s (rounds: ${rounds.poll.map(Math.round).join(", ")})`);
  console.log(`  bare handler      ${result.barePerSecond} req/s (rounds: ${rounds.bare.map(Math.round).join(", ")})`);
  console.log(`  ratio             ${result.ratio}× (target ≥ 0.5×), ${result.errors} errors`);
  return result;
}

async function main() {
  prepare();
  const server = startPortal(env, port);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, memoryOf(server.pid).rss)), 200);
  try {
    await untilUp(base);
    const cookie = await signIn(base, account);
    console.log(`Portal up on ${base}, pid ${server.pid}, ${fmtMb(memoryOf(server.pid).rss)} resident`);

    // One client, one request at a time, nothing else running: what a single request costs.
    const single = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      const r = await fetch(`${base}/api/v1/backups?page=1`, { headers: { cookie } });
      await r.arrayBuffer();
      if (i >= 10) single.push(performance.now() - t);
    }
    single.sort((a, b) => a - b);
    const singleMs = { p50: Math.round(single[Math.floor(single.length / 2)]), max: Math.round(single.at(-1)) };
    console.log(`One request at a time, idle: p50 ${singleMs.p50} ms, max ${singleMs.max} ms`);

    console.log("Unloaded backup ...");
    const baseline = await (await runBackup(cookie)).done;
    console.log(`  ${baseline.seconds.toFixed(1)} s, ${fmtMb(baseline.sizeBytes)} archive`);
    // Each route's code loads on its first request: a portal that has been up a while has loaded them,
    // and that one-time cost (a second or more while a backup takes both cores) is not what this measures.
    for (const warm of [`/api/v1/backups/${baseline.id}`, `/api/v1/backups/download/${baseline.fileName}`]) {
      for (let i = 0; i < 5; i++) await (await fetch(`${base}${warm}`, { method: "HEAD", headers: { cookie } })).arrayBuffer();
      await (await fetch(`${base}${warm}`, { headers: { cookie, range: "bytes=0-0" } })).arrayBuffer();
    }

    console.log(`Loaded: ${connections} clients listing and polling, 2 downloads of ${fmtMb(baseline.sizeBytes)} in a loop, a backup running`);
    const peakBefore = peak;
    const running = await runBackup(cookie);
    const stop = { stopped: false };
    const downloads = [downloadLoop(cookie, baseline.fileName, stop), downloadLoop(cookie, baseline.fileName, stop)];
    const cannon = autocannon({
      url: base,
      connections,
      duration: maxSeconds,
      amount: maxRequests,
      headers: { cookie },
      requests: [
        { method: "GET", path: "/api/v1/backups?page=1" },
        { method: "GET", path: `/api/v1/backups/${running.id}` },
      ],
    });
    const loaded = await Promise.race([
      running.done,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`backup still running after ${maxSeconds} s`)), maxSeconds * 1000)),
    ]);
    cannon.stop();
    const result = await new Promise((resolve) => cannon.on("done", resolve).on("error", resolve));
    stop.stopped = true;
    const dl = await Promise.all(downloads);
    const errors = result.errors + result.timeouts + result.non2xx;

    const report = {
      connections,
      idleSingleRequestMs: singleMs,
      durationSeconds: result.duration,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      errors: { total: errors, connectionErrors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
      downloads: {
        completed: dl.reduce((n, d) => n + d.completed, 0),
        bytes: dl.reduce((n, d) => n + d.bytes, 0),
        errors: dl.reduce((n, d) => n + d.errors, 0),
      },
      backup: { unloadedSeconds: baseline.seconds, loadedSeconds: loaded.seconds, slowdown: loaded.seconds / baseline.seconds },
      serverMemory: { peakBeforeLoad: peakBefore, peakResident: peak, highWaterMark: memoryOf(server.pid).hwm },
    };
    console.log("\nResults");
    console.log(`  requests          ${report.requests} in ${report.durationSeconds} s: ${report.requestsPerSecond} req/s`);
    console.log(`  latency           p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`);
    console.log(`  errors            ${errors} (connection ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx})`);
    console.log(
      `  downloads         ${fmtMb(report.downloads.bytes)} streamed by 2 clients (${report.downloads.completed} whole files), ${report.downloads.errors} errors`,
    );
    console.log(`  backup            ${baseline.seconds.toFixed(1)} s unloaded, ${loaded.seconds.toFixed(1)} s loaded: ×${report.backup.slowdown.toFixed(2)}`);
    console.log(
      `  server memory     peak ${fmtMb(peak)} resident (${fmtMb(peakBefore)} before the load; kernel high-water mark ${fmtMb(report.serverMemory.highWaterMark)})`,
    );
    report.progressPoll = await pollAgainstBareRoute(cookie);
    console.log(`\n${JSON.stringify(report)}`);
  } finally {
    clearInterval(sampler);
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {}
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`Load run failed: ${error.message}`);
    process.exit(1);
  },
);
