import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AgeEncryptor, generateIdentity, newAgeFile, openAgeFile, parseIdentityFile, parseRecipient, recipientOf, writeHeader } from "@/lib/backup/crypto/age";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-age-"));
const at = (name: string) => path.join(work, name);

/** Encrypts `plain` with our writer, in pieces of odd sizes as a zip writer would hand them over. */
function encryptWithUs(plain: Buffer, to: Parameters<typeof newAgeFile>[0], file: string, logN?: number): void {
  const fileKey = randomBytes(16);
  const header = logN ? writeHeader(fileKey, to, logN) : writeHeader(fileKey, to);
  const enc = new AgeEncryptor(fileKey);
  const out: Buffer[] = [header, enc.payloadNonce];
  for (let i = 0; i < plain.length;) {
    const n = Math.min(plain.length - i, 1 + ((i * 7919) % 100_000));
    out.push(enc.push(plain.subarray(i, i + n)));
    i += n;
  }
  out.push(enc.finish());
  fs.writeFileSync(file, Buffer.concat(out));
}

async function decryptWithUs(file: string, keys: Parameters<typeof openAgeFile>[1]): Promise<Buffer> {
  const handle = await fs.promises.open(file, "r");
  try {
    const reader = await openAgeFile(handle, keys);
    return await reader.read(reader.size, 0);
  } finally {
    await handle.close();
  }
}

/** The real age asks for a passphrase only on a terminal: give it one with script(1). */
function ageOnTerminal(args: string, answer: string): void {
  execFileSync("script", ["-qec", `age ${args}`, "/dev/null"], { input: `${answer}\n${answer}\n`, stdio: ["pipe", "ignore", "ignore"], timeout: 60_000 });
}

const sizes = [0, 1, 65_535, 65_536, 65_537, 131_072, 400_123];

describe("age v1, written by us and read by the age tool, and the other way round", () => {
  it.each(sizes)("%i bytes to a public key: `age -d -i key.txt` gives them back", (size) => {
    const plain = randomBytes(size);
    const { identity, recipient } = generateIdentity();
    fs.writeFileSync(at("key.txt"), `# created by a test\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });
    encryptWithUs(plain, { keys: [parseRecipient(recipient)] }, at(`us-${size}.age`));
    // To standard output: with -o, age makes no file at all for an empty plaintext.
    const out = execFileSync("age", ["-d", "-i", at("key.txt"), at(`us-${size}.age`)], { maxBuffer: 10 * 1024 * 1024 });
    expect(out.equals(plain)).toBe(true);
  });

  it.each(sizes)("%i bytes encrypted by `age -r` open with the identity age-keygen wrote, at any position", async (size) => {
    const plain = randomBytes(size);
    execFileSync("age-keygen", ["-o", at(`kg-${size}.txt`)], { stdio: "ignore" });
    const identities = parseIdentityFile(fs.readFileSync(at(`kg-${size}.txt`), "utf8"));
    fs.writeFileSync(at(`plain-${size}`), plain);
    execFileSync("age", ["-r", recipientOf(identities[0]!), "-o", at(`them-${size}.age`), at(`plain-${size}`)]);
    expect((await decryptWithUs(at(`them-${size}.age`), { identities })).equals(plain)).toBe(true);
    const handle = await fs.promises.open(at(`them-${size}.age`), "r");
    const reader = await openAgeFile(handle, { identities });
    for (const [from, length] of [
      [0, 10],
      [65_530, 20],
      [size - 5, 100],
      [Math.floor(size / 3), 70_000],
    ] as const) {
      const start = Math.max(0, from);
      expect((await reader.read(length, start)).equals(plain.subarray(start, start + length))).toBe(true);
    }
    await handle.close();
  });

  it("a passphrase: ours opens with `age -d` on a terminal, and `age -p`'s opens with ours", async () => {
    const plain = randomBytes(150_000);
    encryptWithUs(plain, { passphrase: "correct horse battery" }, at("pass-us.age"), 12);
    ageOnTerminal(`-d -o ${at("pass-us.out")} ${at("pass-us.age")}`, "correct horse battery");
    expect(fs.readFileSync(at("pass-us.out")).equals(plain)).toBe(true);

    fs.writeFileSync(at("pass-plain"), plain);
    ageOnTerminal(`-p -o ${at("pass-them.age")} ${at("pass-plain")}`, "another good passphrase");
    expect((await decryptWithUs(at("pass-them.age"), { passphrase: "another good passphrase" })).equals(plain)).toBe(true);
    await expect(decryptWithUs(at("pass-them.age"), { passphrase: "wrong" })).rejects.toThrow(/Wrong passphrase/);
  }, 120_000);

  it("a wrong key, a flipped byte, a truncated file and a key file in the wrong format are refused, saying which", async () => {
    const plain = randomBytes(200_000);
    const { recipient } = generateIdentity();
    const other = generateIdentity();
    encryptWithUs(plain, { keys: [parseRecipient(recipient)] }, at("t.age"));
    await expect(decryptWithUs(at("t.age"), { identities: parseIdentityFile(other.identity) })).rejects.toThrow(/Wrong key/);

    execFileSync("age-keygen", ["-o", at("t-key.txt")], { stdio: "ignore" });
    const identities = parseIdentityFile(fs.readFileSync(at("t-key.txt"), "utf8"));
    encryptWithUs(plain, { keys: [parseRecipient(recipientOf(identities[0]!))] }, at("t2.age"));
    const data = fs.readFileSync(at("t2.age"));
    const flipped = Buffer.from(data);
    flipped[data.length - 70_000] ^= 0x01;
    fs.writeFileSync(at("flipped.age"), flipped);
    await expect(decryptWithUs(at("flipped.age"), { identities })).rejects.toThrow(/altered|truncated/);
    fs.writeFileSync(at("cut.age"), data.subarray(0, data.length - 65_552));
    await expect(decryptWithUs(at("cut.age"), { identities })).rejects.toThrow(/altered|truncated/);
    const header = Buffer.from(data);
    header[30] ^= 0x01;
    fs.writeFileSync(at("header.age"), header);
    await expect(decryptWithUs(at("header.age"), { identities })).rejects.toThrow(/header|Wrong key/);
    expect(() => parseIdentityFile("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")).toThrow(/not an age identity file/);
    expect(() => parseRecipient("ssh-ed25519 AAAA")).toThrow(/not an age public key/);
  });
});
