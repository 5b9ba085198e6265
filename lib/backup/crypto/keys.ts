import { AgeError, generateIdentity, parseIdentityFile, parseRecipient, type AgeKeys, type AgeRecipients } from "@/lib/backup/crypto/age";
import { SafekeepError } from "@/lib/errors";
import type { Settings } from "@/lib/settings";

/** Who new archives are encrypted to, from the settings; null when encryption is off. */
export function encryptionTarget(settings: Settings): AgeRecipients | null {
  if (settings.encryption === "recipients") return { keys: settings.encryptionRecipients.map(parseRecipient) };
  if (settings.encryption === "passphrase") return { passphrase: settings.encryptionPassphrase };
  return null;
}

/** What the portal itself can open archives with: its passphrase, when it keeps one (never a private key). */
export function portalKeys(settings: Settings): AgeKeys | null {
  return settings.encryptionPassphrase ? { passphrase: settings.encryptionPassphrase } : null;
}

/** Keys given for one job (pasted, or a key file) together with the portal's own; null when there are none. */
export function withPortalKeys(given: AgeKeys | null | undefined, settings: Settings): AgeKeys | null {
  const own = portalKeys(settings);
  if (!given) return own;
  return { identities: given.identities, passphrase: given.passphrase ?? own?.passphrase };
}

/**
 * What someone pasted or a key file holds: an age identity file (AGE-SECRET-KEY-1… lines, as age-keygen
 * writes it) or else a passphrase. Null when empty. A malformed key is a sentence, not a guess.
 */
export function keysFromText(text: string | null | undefined): AgeKeys | null {
  const value = (text ?? "").replace(/\r?\n$/, "");
  if (value.trim() === "") return null;
  if (/AGE-SECRET-KEY-/i.test(value)) {
    try {
      return { identities: parseIdentityFile(value) };
    } catch (error) {
      throw new SafekeepError("invalid", (error as AgeError).message);
    }
  }
  if (/^age1[0-9a-z]+$/.test(value.trim()))
    throw new SafekeepError("invalid", "That is a public key (age1…): a backup opens only with its private key (AGE-SECRET-KEY-1…) or its passphrase");
  return { passphrase: value };
}

/** A new key pair as `age-keygen` would write it: the identity file's text for the owner, the public key for the portal. */
export function newKeyPair(now = new Date()): { identityFile: string; recipient: string } {
  const { identity, recipient } = generateIdentity();
  return { identityFile: `# created: ${now.toISOString().slice(0, 19)}Z\n# public key: ${recipient}\n${identity}\n`, recipient };
}

/** Keys as they travel to a background worker on its standard input (never its command line or environment). */
export function serializeKeys(keys: AgeKeys): string {
  return JSON.stringify({ identities: keys.identities?.map((k) => k.toString("base64")), passphrase: keys.passphrase });
}

export function parseSerializedKeys(text: string): AgeKeys | null {
  if (!text.trim()) return null;
  const parsed = JSON.parse(text) as { identities?: string[]; passphrase?: string };
  return {
    identities: parsed.identities?.map((k) => Buffer.from(k, "base64")),
    passphrase: typeof parsed.passphrase === "string" ? parsed.passphrase : undefined,
  };
}
