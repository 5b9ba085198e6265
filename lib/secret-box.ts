import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets the portal must keep (SMTP and database passwords, S3 keys, webhook secrets) are stored
 * encrypted with AES-256-GCM, so the portal's database — which every backup of it carries — holds only
 * ciphertext. The key lives in `.env` (0600) as SAFEKEEP_SECRETS_KEY, written by `npm run setup`; keep a
 * copy of `.env` for disaster recovery. Without it, the key is derived from NEXTAUTH_SECRET (also in .env).
 */
const PREFIX = "enc:v1:";

function key(): Buffer {
  const explicit = process.env.SAFEKEEP_SECRETS_KEY;
  if (explicit) {
    const raw = Buffer.from(explicit, "base64url");
    // Any other length is taken as a passphrase and stretched to 32 bytes.
    return raw.length === 32 ? raw : createHash("sha256").update(explicit).digest();
  }
  const base = process.env.NEXTAUTH_SECRET;
  if (!base) throw new Error("No key for stored secrets: set SAFEKEEP_SECRETS_KEY (npm run setup writes one to .env)");
  return Buffer.from(hkdfSync("sha256", base, "safekeep", "stored-secrets", 32));
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Empty stays empty (nothing to hide); anything else becomes `enc:v1:<iv|tag|ciphertext, base64url>`. */
export function sealSecret(plain: string): string {
  if (plain === "" || isSealed(plain)) return plain;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** A sealed value opened; a plain one (stored before sealing existed) comes back as it is. */
export function openSecret(stored: string): string {
  if (!isSealed(stored)) return stored;
  const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key(), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(
      "A stored secret cannot be opened with this installation's key (SAFEKEEP_SECRETS_KEY in .env): restore .env from your records or enter the secret again",
    );
  }
}
