import { describe, expect, it } from "vitest";
import { isSealed, openSecret, sealSecret } from "@/lib/secret-box";

describe("stored secrets", () => {
  it("are sealed so the stored text shows nothing of them, and open again with the same key", () => {
    process.env.SAFEKEEP_SECRETS_KEY = Buffer.alloc(32, 7).toString("base64url");
    const sealed = sealSecret("smtp-password-ÄÖ-123");
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain("smtp-password");
    expect(sealSecret("smtp-password-ÄÖ-123")).not.toBe(sealed); // a fresh IV each time
    expect(openSecret(sealed)).toBe("smtp-password-ÄÖ-123");
    expect(sealSecret("")).toBe("");
    expect(openSecret("stored-before-sealing")).toBe("stored-before-sealing");
  });

  it("refuse to open with another key, saying which key is needed", () => {
    process.env.SAFEKEEP_SECRETS_KEY = Buffer.alloc(32, 1).toString("base64url");
    const sealed = sealSecret("s3-secret");
    process.env.SAFEKEEP_SECRETS_KEY = Buffer.alloc(32, 2).toString("base64url");
    expect(() => openSecret(sealed)).toThrow(/SAFEKEEP_SECRETS_KEY/);
    delete process.env.SAFEKEEP_SECRETS_KEY;
  });
});

describe("passwords in the settings", () => {
  it("are stored sealed in the portal's database, and read back in clear", async () => {
    const { prisma } = await import("@/lib/db");
    const { loadSettings, saveSettings } = await import("@/lib/settings");
    process.env.SAFEKEEP_SECRETS_KEY = Buffer.alloc(32, 9).toString("base64url");
    await saveSettings({ smtpPassword: "smtp-pw-stored-sealed", databaseUrl: "mysql://shop:db-pw-stored-sealed@127.0.0.1:3306/shop" });
    const rows = await prisma.setting.findMany();
    const raw = rows.map((r) => r.value).join("\n");
    expect(raw).not.toContain("smtp-pw-stored-sealed");
    expect(raw).not.toContain("db-pw-stored-sealed");
    expect(raw).toContain("enc:v1:");
    const settings = await loadSettings();
    expect(settings.smtpPassword).toBe("smtp-pw-stored-sealed");
    expect(settings.databaseUrl).toBe("mysql://shop:db-pw-stored-sealed@127.0.0.1:3306/shop");
    await prisma.setting.deleteMany();
  });
});
