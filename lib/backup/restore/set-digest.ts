import { hash, randomBytes } from "node:crypto";

/**
 * An order-free digest of a set of entries (name, kind, size): the sum, word by word modulo 2^32, of a
 * SHA-256 of each entry keyed with a secret drawn for this run. Two lists digest alike only if they hold
 * the same entries, short of finding SHA-256 outputs that cancel out without knowing the key. So the
 * central directory and the manifest can each be read once, in turn, and compared without holding either.
 */
export class SetDigest {
  private readonly sum = new Uint32Array(8);
  count = 0;

  constructor(private readonly key: string) {}

  static keys(): string {
    return randomBytes(32).toString("hex");
  }

  /**
   * `name` must be well-formed UTF-16 (String.isWellFormed): a lone surrogate would become U+FFFD in
   * UTF-8, and two names would digest alike.
   */
  add(name: string, kind: number, size: number): void {
    const digest = hash("sha256", `${this.key}${kind}:${size}:${name}`, "buffer");
    for (let i = 0; i < 8; i++) this.sum[i] = (this.sum[i]! + digest.readUInt32LE(i * 4)) >>> 0;
    this.count++;
  }

  equals(other: SetDigest): boolean {
    return this.count === other.count && this.sum.every((word, i) => word === other.sum[i]);
  }
}

/** Two random 32-bit seeds for pathHashes, drawn per run so that no archive can be made to collide on purpose. */
export function hashSeeds(): [number, number] {
  const bytes = randomBytes(8);
  return [bytes.readUInt32LE(0), bytes.readUInt32LE(4)];
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 50-bit hash of `text` (an exact integer in a double, so that four of them and a two-bit kind still
 * fit in a Float64Array's 53 bits), and, into `prefixes`, the hash of each prefix that ends before a `/`
 * at or after `from`, in one pass. Not a secure hash: two names hashing alike only send the check to the
 * exact one, which holds everything.
 */
export function pathHashes(text: string, seeds: [number, number], from = 0, prefixes?: number[]): number {
  let a = seeds[0];
  let b = seeds[1];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (prefixes && c === 0x2f && i >= from) prefixes.push(mix(a) * 2 ** 18 + (mix(b) >>> 14));
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) + 0x9e3779b9;
  }
  return mix(a) * 2 ** 18 + (mix(b) >>> 14);
}
