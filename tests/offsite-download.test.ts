import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import type { Caller } from "@/lib/backup";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { downloadGet, downloadHead } from "@/lib/http/download";
import { saveDestination } from "@/lib/offsite/destinations";
import { loadSettings } from "@/lib/settings";
import { findPortalUser } from "@/lib/users";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startS3, type TestS3 } from "./helpers/s3";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(["backups"]);
});
afterAll(async () => {
  await s3?.close();
});

/** Reads a response's body to the end; the bytes that came before an error, and the error. */
async function drain(response: Response): Promise<{ bytes: Buffer; error: Error | null }> {
  const chunks: Buffer[] = [];
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), error: null };
      chunks.push(Buffer.from(value));
    }
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

const get = (fileName: string, headers: Record<string, string> = {}) => new Request(`http://portal.test/api/v1/backups/download/${fileName}`, { headers });

describe("download when the local copy is gone", () => {
  let caller: Caller;
  let fileName = "";
  let original: Buffer;

  beforeAll(async () => {
    await freshSite();
    makeFileTree(testRoot("site"), { bigFiles: 2, bigFileBytes: 3_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    await saveDestination(s3.destination({ id: "main", prefix: "site/" }));
    const settings = await loadSettings();
    const backup = await runJob((await enqueueBackup(settings, null)).id, { settings });
    expect(backup.status).toBe("completed");
    fileName = backup.fileName;
    const archive = testRoot("var/backup", fileName);
    original = fs.readFileSync(archive);
    fs.rmSync(archive);
    const admin = await makeUser("admin");
    caller = { user: (await findPortalUser(admin.id))!, actor: { id: admin.id, email: admin.email }, settings };
  });

  it("streams the whole archive from the bucket, byte-identical, and writes nothing locally", async () => {
    const head = await downloadHead(get(fileName), caller, fileName);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(original.length));

    const response = await downloadGet(get(fileName), caller, fileName);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(original.length));
    const { bytes, error } = await drain(response);
    expect(error).toBeNull();
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(original).digest("hex"));
    expect(fs.existsSync(testRoot("var/backup", fileName))).toBe(false);
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => f.startsWith("."))).toEqual([]);
    const audit = await prisma.auditEvent.findFirst({ where: { action: "backup.download", target: fileName }, orderBy: { id: "desc" } });
    expect(JSON.parse(audit!.details!)).toEqual({ from: `s3://backups/site/${fileName}` });
  });

  it("answers ranges (a resumed download) with the same bytes as the local file would", async () => {
    const size = original.length;
    for (const [header, start, end] of [
      [`bytes=1000-`, 1000, size],
      [`bytes=0-99`, 0, 100],
      [`bytes=-4096`, size - 4096, size],
      [`bytes=${size - 1}-${size + 50}`, size - 1, size],
    ] as const) {
      const response = await downloadGet(get(fileName, { range: header }), caller, fileName);
      expect(response.status, header).toBe(206);
      expect(response.headers.get("content-range")).toBe(`bytes ${start}-${end - 1}/${size}`);
      const { bytes, error } = await drain(response);
      expect(error).toBeNull();
      expect(bytes.equals(original.subarray(start, end)), header).toBe(true);
    }
    const beyond = await downloadGet(get(fileName, { range: `bytes=${size}-` }), caller, fileName);
    expect(beyond.status).toBe(416);
  });

  it("a copy damaged in the bucket ends the response before its last byte: the client never holds a whole wrong file", async () => {
    const stored = path.join(s3.dir, "backups", "site", `${fileName}._S3rver_object`);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0xff;
    fs.writeFileSync(stored, damaged);
    for (const range of [undefined, "bytes=0-99"]) {
      const response = await downloadGet(get(fileName, range ? { range } : {}), caller, fileName);
      const { bytes, error } = await drain(response);
      expect(error?.message).toMatch(/is damaged: its SHA-256 is [0-9a-f]{64}, not the [0-9a-f]{64} recorded/);
      expect(bytes.length).toBeLessThan(Number(response.headers.get("content-length")));
    }
  });

  it("with neither the local file nor a stored copy, the answer is 404", async () => {
    await prisma.offsiteCopy.updateMany({ where: { fileName }, data: { state: "deleted" } });
    const response = await downloadGet(get(fileName), caller, fileName);
    expect(response.status).toBe(404);
    expect((await downloadHead(get(fileName), caller, fileName)).status).toBe(404);
  });
});
