import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scryptSync,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { readAt } from "@/lib/backup/archive/positioned-read";
import { bech32Decode, bech32Encode } from "@/lib/backup/crypto/bech32";

/**
 * age v1 (age-encryption.org/v1), written and read here so that any backup opens with the standard `age`
 * tool: `age -d -i key.txt backup.zip.age > backup.zip`. X25519 recipients (public keys) and scrypt
 * passphrases; the payload is ChaCha20-Poly1305 in 64 KiB chunks (STREAM), which is also what lets a
 * restore read any part of an encrypted archive without a plaintext copy on disk.
 */
const VERSION_LINE = "age-encryption.org/v1";
export const CHUNK = 64 * 1024;
const TAG = 16;
const SEALED_CHUNK = CHUNK + TAG;
const NONCE = 16;
const ZERO_NONCE = Buffer.alloc(12);
/** age's own choice when encrypting (about a second, 256 MB for a moment). */
export const SCRYPT_LOG_N = 18;
/** What a file may ask of us when decrypting: beyond this a crafted header could make us spin for hours. */
const MAX_SCRYPT_LOG_N = 22;

export class AgeError extends Error {}

const b64 = (data: Buffer) => data.toString("base64").replace(/=+$/, "");
function unb64(text: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) throw new AgeError(`The encrypted file's header is damaged (${what})`);
  const data = Buffer.from(text, "base64");
  if (b64(data) !== text) throw new AgeError(`The encrypted file's header is damaged (${what})`);
  return data;
}

const hkdf = (ikm: Buffer, salt: Buffer, info: string) => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));

/** Seals `plain` into `out` at `at` (ciphertext, then tag); returns where the next one goes. */
function sealInto(key: Buffer, nonce: Buffer, plain: Buffer, out: Buffer, at: number): number {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
  at += cipher.update(plain).copy(out, at);
  at += cipher.final().copy(out, at);
  return at + cipher.getAuthTag().copy(out, at);
}

function seal(key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const out = Buffer.allocUnsafe(plain.length + TAG);
  sealInto(key, nonce, plain, out, 0);
  return out;
}

function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < TAG) return null;
  const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
    const rest = decipher.final();
    return rest.length ? Buffer.concat([plain, rest]) : plain;
  } catch {
    return null;
  }
}

// X25519 keys as raw 32 bytes, through the DER wrappings Node's crypto takes.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const privateKey = (raw: Buffer): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" });
const publicKey = (raw: Buffer): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
const rawPublic = (key: KeyObject): Buffer => (key.export({ format: "der", type: "spki" }) as Buffer).subarray(-32);
const rawPrivate = (key: KeyObject): Buffer => (key.export({ format: "der", type: "pkcs8" }) as Buffer).subarray(-32);

function x25519(secret: Buffer, peer: Buffer): Buffer {
  const shared = diffieHellman({ privateKey: privateKey(secret), publicKey: publicKey(peer) });
  if (shared.every((b) => b === 0)) throw new AgeError("A recipient's public key is not usable");
  return shared;
}

/** A new key pair, as `age-keygen` writes it. */
export function generateIdentity(): { identity: string; recipient: string } {
  const { privateKey: secret, publicKey: pub } = generateKeyPairSync("x25519");
  return {
    identity: bech32Encode("age-secret-key-", rawPrivate(secret)).toUpperCase(),
    recipient: bech32Encode("age", rawPublic(pub)),
  };
}

/** `age1…` → the 32-byte public key; a clear sentence for anything else. */
export function parseRecipient(text: string): Buffer {
  try {
    const { hrp, bytes } = bech32Decode(text.trim());
    if (hrp === "age" && bytes.length === 32) return bytes;
  } catch {
    // Said below.
  }
  throw new AgeError(`"${text.trim().slice(0, 20)}…" is not an age public key (they start with age1)`);
}

/** An identity file as age-keygen writes it (comments, blank lines, one or more AGE-SECRET-KEY-1… lines). */
export function parseIdentityFile(text: string): Buffer[] {
  const keys: Buffer[] = [];
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    try {
      const { hrp, bytes } = bech32Decode(line);
      if (hrp === "age-secret-key-" && bytes.length === 32) {
        keys.push(bytes);
        continue;
      }
    } catch {
      // Said below.
    }
    throw new AgeError("The key file is not an age identity file: it must hold AGE-SECRET-KEY-1… lines (as age-keygen writes them)");
  }
  if (keys.length === 0) throw new AgeError("The key file holds no AGE-SECRET-KEY-1… line");
  return keys;
}

export function recipientOf(identity: Buffer): string {
  return bech32Encode("age", rawPublic(createPublicKey(privateKey(identity))));
}

export interface AgeRecipients {
  /** X25519 public keys (raw 32 bytes). */
  keys?: Buffer[];
  /** Or one passphrase (age allows no other recipient beside it). */
  passphrase?: string;
}

function stanzaLines(type: string, args: string[], body: Buffer): string {
  const text = b64(body);
  const lines: string[] = [];
  for (let i = 0; i <= text.length; i += 64) lines.push(text.slice(i, i + 64));
  // The body's last line is always shorter than 64 characters (empty when the body fills whole lines).
  if (lines.at(-1)!.length === 64) lines.push("");
  return `-> ${[type, ...args].join(" ")}\n${lines.join("\n")}\n`;
}

/** The header for a new file key: one stanza per recipient, then the MAC. */
export function writeHeader(fileKey: Buffer, to: AgeRecipients, scryptLogN = SCRYPT_LOG_N): Buffer {
  let stanzas = "";
  if (to.passphrase !== undefined) {
    if (to.keys?.length) throw new AgeError("A passphrase cannot be combined with public keys in one age file");
    const salt = randomBytes(16);
    const key = scryptSync(to.passphrase, Buffer.concat([Buffer.from("age-encryption.org/v1/scrypt"), salt]), 32, {
      N: 2 ** scryptLogN,
      r: 8,
      p: 1,
      maxmem: 2 ** scryptLogN * 8 * 128 + 32 * 1024 * 1024,
    });
    stanzas = stanzaLines("scrypt", [b64(salt), String(scryptLogN)], seal(key, ZERO_NONCE, fileKey));
  } else {
    if (!to.keys?.length) throw new AgeError("No recipient to encrypt to");
    for (const recipient of to.keys) {
      const { privateKey: ephemeral, publicKey: share } = generateKeyPairSync("x25519");
      const shareRaw = rawPublic(share);
      const shared = x25519(rawPrivate(ephemeral), recipient);
      const wrapKey = hkdf(shared, Buffer.concat([shareRaw, recipient]), "age-encryption.org/v1/X25519");
      stanzas += stanzaLines("X25519", [b64(shareRaw)], seal(wrapKey, ZERO_NONCE, fileKey));
    }
  }
  const signed = `${VERSION_LINE}\n${stanzas}---`;
  const mac = createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
    .update(signed)
    .digest();
  return Buffer.from(`${signed} ${b64(mac)}\n`);
}

interface Stanza {
  type: string;
  args: string[];
  body: Buffer;
}

interface ParsedHeader {
  stanzas: Stanza[];
  signed: Buffer;
  mac: Buffer;
  length: number;
}

const MAX_HEADER = 1024 * 1024;

function parseHeader(data: Buffer): ParsedHeader {
  const end = data.indexOf("\n---");
  const close = end < 0 ? -1 : data.indexOf("\n", end + 4);
  if (!data.subarray(0, VERSION_LINE.length + 1).equals(Buffer.from(`${VERSION_LINE}\n`))) {
    throw new AgeError("This is not an age-encrypted file (age-encryption.org/v1)");
  }
  if (end < 0 || close < 0) throw new AgeError("The encrypted file's header is incomplete: the file is truncated or not age");
  const text = data.subarray(0, close).toString("latin1");
  const lines = text.split("\n");
  const stanzas: Stanza[] = [];
  let i = 1;
  while (i < lines.length && lines[i]!.startsWith("-> ")) {
    const [type, ...args] = lines[i]!.slice(3).split(" ");
    const bodyLines: string[] = [];
    for (i++; ; i++) {
      const line = lines[i];
      if (line === undefined || line.length > 64) throw new AgeError("The encrypted file's header is damaged (stanza body)");
      bodyLines.push(line);
      if (line.length < 64) break;
    }
    i++;
    stanzas.push({ type: type!, args, body: unb64(bodyLines.join(""), "stanza body") });
  }
  const macLine = lines[i];
  if (!macLine?.startsWith("--- ") || i !== lines.length - 1) throw new AgeError("The encrypted file's header is damaged (MAC line)");
  const signedLength = Buffer.byteLength(lines.slice(0, i).join("\n") + "\n---", "latin1");
  return { stanzas, signed: data.subarray(0, signedLength), mac: unb64(macLine.slice(4), "MAC"), length: close + 1 };
}

export interface AgeKeys {
  identities?: Buffer[];
  passphrase?: string;
}

function unwrapFileKey(header: ParsedHeader, keys: AgeKeys): Buffer {
  const scrypt = header.stanzas.filter((s) => s.type === "scrypt");
  if (scrypt.length && header.stanzas.length > 1) throw new AgeError("The encrypted file's header is damaged (scrypt beside other stanzas)");
  for (const stanza of header.stanzas) {
    if (stanza.type === "X25519" && keys.identities?.length) {
      const share = unb64(stanza.args[0] ?? "", "X25519 share");
      if (share.length !== 32 || stanza.body.length !== 32) throw new AgeError("The encrypted file's header is damaged (X25519 stanza)");
      for (const identity of keys.identities) {
        const recipient = rawPublic(createPublicKey(privateKey(identity)));
        const wrapKey = hkdf(x25519(identity, share), Buffer.concat([share, recipient]), "age-encryption.org/v1/X25519");
        const fileKey = open(wrapKey, ZERO_NONCE, stanza.body);
        if (fileKey) return fileKey;
      }
    }
    if (stanza.type === "scrypt" && keys.passphrase !== undefined) {
      const salt = unb64(stanza.args[0] ?? "", "scrypt salt");
      const logN = Number(stanza.args[1]);
      if (salt.length !== 16 || !/^[1-9][0-9]?$/.test(stanza.args[1] ?? "") || logN > MAX_SCRYPT_LOG_N) {
        throw new AgeError("The encrypted file asks for an unreasonable passphrase work factor");
      }
      const key = scryptSync(keys.passphrase, Buffer.concat([Buffer.from("age-encryption.org/v1/scrypt"), salt]), 32, {
        N: 2 ** logN,
        r: 8,
        p: 1,
        maxmem: 2 ** logN * 8 * 128 + 32 * 1024 * 1024,
      });
      const fileKey = open(key, ZERO_NONCE, stanza.body);
      if (fileKey) return fileKey;
      throw new AgeError("Wrong passphrase: it does not open this backup");
    }
  }
  if (scrypt.length) throw new AgeError("This backup is encrypted with a passphrase: give the passphrase");
  if (!keys.identities?.length) throw new AgeError("This backup is encrypted to a public key: give the matching private key (an age identity file)");
  throw new AgeError("Wrong key: none of the given private keys opens this backup");
}

/** Encrypts a stream of plaintext in STREAM chunks; the caller writes what it returns, in order. */
export class AgeEncryptor {
  private readonly key: Buffer;
  /** Fewer than a chunk's bytes, or a whole chunk held back until more comes (the last chunk is sealed as last). */
  private readonly pending = Buffer.allocUnsafe(CHUNK);
  private pendingBytes = 0;
  private counter = 0;
  /** The 16-byte nonce that starts the payload, right after the header. */
  readonly payloadNonce = randomBytes(NONCE);

  constructor(fileKey: Buffer) {
    this.key = hkdf(fileKey, this.payloadNonce, "payload");
  }

  private nonce(last: boolean): Buffer {
    const nonce = Buffer.alloc(12);
    nonce.writeUIntBE(this.counter++, 5, 6);
    nonce[11] = last ? 1 : 0;
    return nonce;
  }

  /**
   * The sealed chunks ready to write, in one buffer (empty when none is). Whole chunks are sealed straight
   * from `data`; only what is left over is copied, so a 1 MiB block costs one output buffer, not a dozen.
   */
  push(data: Buffer): Buffer {
    const count = Math.max(0, Math.floor((this.pendingBytes + data.length - 1) / CHUNK));
    if (count === 0) {
      data.copy(this.pending, this.pendingBytes);
      this.pendingBytes += data.length;
      return Buffer.alloc(0);
    }
    const out = Buffer.allocUnsafe(count * SEALED_CHUNK);
    let at = 0;
    let used = 0;
    if (this.pendingBytes > 0) {
      used = data.copy(this.pending, this.pendingBytes, 0, CHUNK - this.pendingBytes);
      at = sealInto(this.key, this.nonce(false), this.pending, out, at);
    }
    while (at < out.length) {
      at = sealInto(this.key, this.nonce(false), data.subarray(used, used + CHUNK), out, at);
      used += CHUNK;
    }
    this.pendingBytes = data.copy(this.pending, 0, used);
    return out;
  }

  /** The last chunk (possibly empty only when the whole plaintext is). */
  finish(): Buffer {
    const last = seal(this.key, this.nonce(true), this.pending.subarray(0, this.pendingBytes));
    this.pendingBytes = 0;
    return last;
  }
}

/** A fresh file key and its header, for one encrypted file. */
export function newAgeFile(to: AgeRecipients): { fileKey: Buffer; header: Buffer } {
  const fileKey = randomBytes(16);
  return { fileKey, header: writeHeader(fileKey, to) };
}

/** Decrypted chunks kept for reads close together: 2 MB. */
const RECENT_CHUNKS = 32;

function plaintextSizeOf(payloadBytes: number): number {
  if (payloadBytes < TAG) throw new AgeError("The encrypted file is truncated (no payload)");
  const full = Math.floor(payloadBytes / SEALED_CHUNK);
  const rest = payloadBytes % SEALED_CHUNK;
  if (rest === 0) return full * CHUNK;
  if (rest < TAG) throw new AgeError("The encrypted file is truncated or altered (a chunk is cut)");
  return full * CHUNK + rest - TAG;
}

/**
 * An encrypted file opened for reading at any position, decrypting only the chunks asked for; every chunk
 * is authenticated, and the last one must be marked last, so truncation and tampering are refused.
 */
export interface AgeReader {
  size: number;
  fileKey: Buffer;
  read(length: number, position: number): Promise<Buffer>;
}

export async function openAgeFile(handle: FileHandle, keys: AgeKeys | { fileKey: Buffer }): Promise<AgeReader> {
  const { size: fileSize } = await handle.stat();
  const probe = Buffer.alloc(Math.min(fileSize, MAX_HEADER));
  await handle.read(probe, 0, probe.length, 0);
  const header = parseHeader(probe);
  let fileKey: Buffer;
  if ("fileKey" in keys) fileKey = keys.fileKey;
  else fileKey = unwrapFileKey(header, keys);
  const expected = createHmac("sha256", hkdf(fileKey, Buffer.alloc(0), "header"))
    .update(header.signed)
    .digest();
  if (header.mac.length !== 32 || !timingSafeEqual(expected, header.mac))
    throw new AgeError("The encrypted file's header was altered (its MAC does not match)");
  const nonce = Buffer.alloc(NONCE);
  const { bytesRead } = await handle.read(nonce, 0, NONCE, header.length);
  if (bytesRead < NONCE) throw new AgeError("The encrypted file is truncated (no payload)");
  const payloadStart = header.length + NONCE;
  const size = plaintextSizeOf(fileSize - payloadStart);
  const lastChunk = Math.max(0, Math.ceil(size / CHUNK) - 1);
  const key = hkdf(fileKey, nonce, "payload");
  // Several entries are read at once (restore works on a few in parallel), and a small entry often
  // shares its chunk with its neighbours: recent chunks are kept, and a chunk being decrypted is shared.
  const recent = new Map<number, Promise<Buffer>>();

  function openChunk(index: number, sealed: Buffer): Buffer {
    const nonce12 = Buffer.alloc(12);
    nonce12.writeUIntBE(index, 5, 6);
    nonce12[11] = index === lastChunk ? 1 : 0;
    const plain = open(key, nonce12, sealed);
    if (!plain) throw new AgeError("The encrypted file was altered or truncated: a chunk does not authenticate");
    if (index === lastChunk && plain.length === 0 && lastChunk > 0) throw new AgeError("The encrypted file ends with an empty chunk (altered)");
    return plain;
  }

  /** Chunks `first`..`last` from one read of the file: a read per 64 KiB chunk waited on the disk 16 times per 1 MiB asked for. */
  async function decryptRun(first: number, last: number): Promise<Buffer[]> {
    const start = payloadStart + first * SEALED_CHUNK;
    const end = last === lastChunk ? fileSize : payloadStart + (last + 1) * SEALED_CHUNK;
    const sealed = await readAt(handle, end - start, start);
    if (sealed.length < end - start) throw new AgeError("The encrypted file is truncated");
    const plains: Buffer[] = [];
    for (let index = first; index <= last; index++) {
      const at = (index - first) * SEALED_CHUNK;
      plains.push(openChunk(index, sealed.subarray(at, Math.min(sealed.length, at + SEALED_CHUNK))));
    }
    return plains;
  }

  function remember(index: number, plain: Promise<Buffer>): void {
    recent.delete(index);
    recent.set(index, plain);
    if (recent.size > RECENT_CHUNKS) recent.delete(recent.keys().next().value!);
  }

  /** The chunks `first`..`last`, from the recent ones where kept, the missing runs each read at once. */
  function chunks(first: number, last: number): Promise<Buffer>[] {
    const out: Promise<Buffer>[] = [];
    for (let index = first; index <= last;) {
      const kept = recent.get(index);
      if (kept) {
        remember(index, kept);
        out.push(kept);
        index++;
        continue;
      }
      const runStart = index;
      let runEnd = index;
      while (runEnd < last && !recent.has(runEnd + 1)) runEnd++;
      const run = decryptRun(runStart, runEnd);
      run.catch(() => {});
      for (let i = runStart; i <= runEnd; i++) {
        const plain = run.then((all) => all[i - runStart]!);
        plain.catch(() => recent.delete(i));
        remember(i, plain);
        out.push(plain);
      }
      index = runEnd + 1;
    }
    return out;
  }

  return {
    size,
    fileKey,
    async read(length, position) {
      const end = Math.min(size, position + length);
      if (end <= position) return Buffer.alloc(0);
      const first = Math.floor(position / CHUNK);
      const wanted = chunks(first, Math.min(lastChunk, Math.floor((end - 1) / CHUNK)));
      const parts: Buffer[] = [];
      for (let at = position; at < end;) {
        const index = Math.floor(at / CHUNK);
        const plain = await wanted[index - first]!;
        const from = at - index * CHUNK;
        const take = plain.subarray(from, Math.min(plain.length, from + (end - at)));
        parts.push(take);
        at += take.length;
        if (take.length === 0) break;
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
  };
}
