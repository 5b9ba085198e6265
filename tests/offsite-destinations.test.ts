import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { checkDestination } from "@/lib/offsite/check";
import { environmentDestination, listDestinations, listDestinationViews, saveDestination } from "@/lib/offsite/destinations";
import { deadPort, startS3, type TestS3 } from "./helpers/s3";

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3(["backups"]);
});
afterAll(async () => {
  await s3?.close();
});

describe("offsite destinations", () => {
  it("Check lists, writes, reads back and deletes a probe on a real S3 server, leaving the bucket as it was", async () => {
    const checks = await checkDestination(s3.destination({ prefix: "site-a/" }));
    expect(checks.map((c) => [c.step, c.ok])).toEqual([
      ["list", true],
      ["write", true],
      ["read", true],
      ["delete", true],
    ]);
    expect(checks[2]!.message).toMatch(/same bytes/);
    const again = await checkDestination(s3.destination({ prefix: "site-a/" }));
    expect(again[0]!.message).toMatch(/: 0 object\(s\)/);
  });

  it("a wrong access key, a missing bucket and an unreachable endpoint each get their sentence", async () => {
    const wrongKey = await checkDestination(s3.destination({ accessKeyId: "NOT-A-KEY" }));
    expect(wrongKey).toEqual([{ step: "list", ok: false, message: expect.stringMatching(/access key is not known/) }]);
    // s3rver checks the access key but not a SigV4 signature's secret: a wrong secret is not testable here.
    const noBucket = await checkDestination(s3.destination({ bucket: "no-such-bucket" }));
    expect(noBucket[0]!.message).toMatch(/There is no bucket "no-such-bucket"/);
    const port = await deadPort();
    const unreachable = await checkDestination(s3.destination({ endpoint: `http://127.0.0.1:${port}` }));
    expect(unreachable[0]!.message).toMatch(new RegExp(`Cannot reach http://127.0.0.1:${port}: the connection was refused`));
  });

  it("the environment sets one destination with the SDK's own names; a page-made one is stored sealed and shown masked", async () => {
    const env = environmentDestination({
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      BACKUP_S3_BUCKET: "backups",
      BACKUP_S3_PREFIX: "/prod/site/",
      BACKUP_S3_FORCE_PATH_STYLE: "true",
      BACKUP_S3_REMOTE_ONLY: "false",
    });
    expect(env).toMatchObject({
      id: "env",
      endpoint: s3.endpoint,
      region: "eu-west-1",
      bucket: "backups",
      prefix: "prod/site/",
      forcePathStyle: true,
      remoteOnly: false,
    });
    expect(environmentDestination({})).toBeNull();
    expect(() => environmentDestination({ BACKUP_S3_BUCKET: "Bad Bucket!", AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" })).toThrow(/bucket/);

    await saveDestination(s3.destination({ id: "r2", secretAccessKey: "very-secret-value" }));
    const row = await prisma.setting.findUniqueOrThrow({ where: { key: "offsite.destination.r2" } });
    expect(row.value).not.toContain("very-secret-value");
    expect((await listDestinations()).find((d) => d.id === "r2")!.secretAccessKey).toBe("very-secret-value");
    const views = await listDestinationViews();
    expect(JSON.stringify(views)).not.toContain("very-secret-value");
    expect(views.find((d) => d.id === "r2")!.secretAccessKey).toBe("********");
  });
});
