// The bench's handle on the engine: one command per measured job, bundled with esbuild (bench/run.mjs)
// so that each runs in its own process and its peak memory can be read by /usr/bin/time.
import fs from "node:fs/promises";
import type { Settings } from "@/lib/settings";
import path from "node:path";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { emptyWalk, walkRoots } from "@/lib/backup/archive/walk";
import { FileSpool } from "@/lib/backup/archive/spool";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { verifyWrittenArchive } from "@/lib/backup/jobs/verify-written";
import { dumperFor } from "@/lib/backup/database/registry";
import { parseIdentityFile, parseRecipient } from "@/lib/backup/crypto/age";
import { tuneHeapForJobs } from "@/lib/backup/jobs/heap";

// As the CLI that runs every job does.
tuneHeapForJobs();

const quiet = { info() {}, warn() {}, error() {} };

function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`--${name} is required`);
  return process.argv[i + 1]!;
}

async function archive() {
  const out = arg("out");
  let bytes = 0;
  const started = performance.now();
  // As a backup does (lib/backup/run.ts): the walk's entries wait in a file, not in memory.
  const walkSpool = await FileSpool.create(`${out}.walk`);
  const walk = await walkRoots([arg("root")], [], [], walkSpool);
  // With --progress-id, the real reporter writes this Backup row (in DATABASE_URL) as a job's would, so
  // the bench can tell what reporting progress costs.
  const progressId = process.argv.includes("--progress-id") ? Number(arg("progress-id")) : null;
  const progress = progressId ? new (await import("@/lib/backup/jobs/progress")).ProgressReporter(progressId) : null;
  // Counted, so that the bench can put a price on them: every write of the row the page polls.
  let writes = 0;
  const flush = progress?.flush.bind(progress);
  if (progress && flush) {
    progress.flush = () => {
      writes++;
      return flush();
    };
    progress.bytesTotal = walk.totalFileBytes;
    progress.start();
  }
  const result = await writeBackupArchive({
    partFile: `${out}.part`,
    outFile: out,
    backupName: "bench",
    walk,
    database: null,
    encryptTo: process.argv.includes("--encrypt-to") ? { keys: [parseRecipient(arg("encrypt-to"))] } : null,
    level: Number(arg("level")),
    log: quiet,
    onBytes: progress ? (n) => progress.add(n) : (n) => (bytes += n),
    onPhase: (phase) => progress?.setPhase(phase),
  });
  await progress?.stop();
  await walkSpool.dispose();
  const elapsedMs = performance.now() - started;
  let msPerWrite = 0;
  if (flush) {
    const t = performance.now();
    for (let i = 0; i < 50; i++) await flush();
    msPerWrite = (performance.now() - t) / 50;
  }
  if (progress) bytes = progress.bytesDone;
  console.log(
    JSON.stringify({ inputBytes: bytes, totalFileBytes: walk.totalFileBytes, size: result.size, files: result.fileCount, elapsedMs, writes, msPerWrite }),
  );
}

async function dump() {
  const out = arg("out");
  let bytes = 0;
  // Only what the dumper reads: loading the settings module would also load Prisma, a start-up cost the
  // full-backup measurement counts but a dump-against-mysqldump comparison should not.
  const settings = { databaseUrl: arg("url"), mysqldumpPath: "mysqldump", pgDumpPath: "pg_dump" } as Settings;
  const result = await writeBackupArchive({
    partFile: `${out}.part`,
    outFile: out,
    backupName: "bench",
    walk: emptyWalk(),
    database: { dumper: dumperFor(settings), workFile: `${out}.dbwork` },
    level: Number(arg("level")),
    log: quiet,
    onBytes: (n) => (bytes += n),
    onPhase: () => {},
  });
  console.log(JSON.stringify({ inputBytes: bytes, size: result.size }));
}

async function extract() {
  const dest = arg("dest");
  let bytes = 0;
  const keys = process.argv.includes("--identity") ? { identities: parseIdentityFile(await fs.readFile(arg("identity"), "utf8")) } : null;
  const inspected = await inspectArchive(arg("archive"), keys);
  try {
    const roots = new Map(inspected.manifest.source.fileRoots.map((r) => [r.label, path.join(dest, r.label)]));
    // The restore hands over new, empty staging directories.
    for (const dir of roots.values()) await fs.mkdir(dir, { recursive: true });
    await verifyAndStage(inspected, { fileRoots: roots, databaseFile: null, onBytes: (n) => (bytes += n) });
  } finally {
    await inspected.close();
  }
  console.log(JSON.stringify({ inputBytes: bytes }));
}

/** What a backup does after writing its archive (verify after write): read it back whole, write nothing. */
async function verify() {
  const { bytes } = await verifyWrittenArchive(arg("archive"), null, () => {});
  console.log(JSON.stringify({ inputBytes: bytes }));
}

/**
 * One upload of `--file` to the S3 server at `--endpoint`: `--mode ours` is the offsite step's multipart
 * upload (lib/offsite/multipart.ts, its defaults unless `--part-mb`/`--concurrency`); `--mode sdk` is
 * @aws-sdk/lib-storage's `Upload` with its defaults (5 MB parts, 4 at a time). The same client settings for both.
 */
async function upload() {
  const { s3Client } = await import("@/lib/offsite/client");
  const destination = {
    id: "bench",
    name: "bench",
    endpoint: arg("endpoint"),
    region: "us-east-1",
    bucket: arg("bucket"),
    prefix: "",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    forcePathStyle: true,
    remoteOnly: false,
    keepLast: 1,
    gfs: false,
    sizeCapMb: 0,
  };
  const key = arg("key");
  const file = arg("file");
  const started = performance.now();
  if (arg("mode") === "sdk") {
    const { Upload } = await import("@aws-sdk/lib-storage");
    const { createReadStream } = await import("node:fs");
    const client = s3Client(destination);
    await new Upload({ client, params: { Bucket: destination.bucket, Key: key, Body: createReadStream(file) } }).done();
    client.destroy();
  } else {
    const { uploadFile } = await import("@/lib/offsite/multipart");
    const client = s3Client(destination, { maxAttempts: 1 });
    const partMb = process.argv.includes("--part-mb") ? Number(arg("part-mb")) : 0;
    const concurrency = process.argv.includes("--concurrency") ? Number(arg("concurrency")) : undefined;
    await uploadFile({
      client,
      bucket: destination.bucket,
      key,
      file,
      sha256: arg("sha256"),
      resume: null,
      saveState: async () => {},
      ...(partMb ? { partSize: partMb * 1024 * 1024 } : {}),
      ...(concurrency ? { concurrency } : {}),
    });
    client.destroy();
  }
  console.log(JSON.stringify({ elapsedMs: performance.now() - started }));
}

const commands: Record<string, () => Promise<void>> = { archive, dump, extract, verify, upload };
const command = commands[process.argv[2] ?? ""];
if (!command) {
  console.error("usage: engine.mjs archive|dump|extract|verify|upload ...");
  process.exit(2);
}
command().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
