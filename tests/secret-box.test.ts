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
