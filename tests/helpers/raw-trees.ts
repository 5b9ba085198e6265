import { createHash } from "node:crypto";
import fs from "node:fs";

/**
 * Everything a faithful restore must give back, names read as bytes (hex, so any name is one key): each
 * entry's kind, content digest or link target (hex), mode with its special bits, owner, and mtime to the
 * millisecond; the root folder's own mode, owner and mtime under "".
 */
export function rawSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const describe = (abs: Buffer, stat: fs.Stats) => `mode=${(stat.mode & 0o7777).toString(8)} owner=${stat.uid}:${stat.gid} mtime=${Math.round(stat.mtimeMs)}`;
  const walk = (dir: Buffer, rel: string) => {
    for (const name of fs.readdirSync(dir, { encoding: "buffer" }).sort(Buffer.compare)) {
      const abs = Buffer.concat([dir, Buffer.from("/"), name]);
      const key = rel ? `${rel}/${name.toString("hex")}` : name.toString("hex");
      const stat = fs.lstatSync(abs);
      // A link's mode is always 0777 on Linux: its target, owner and date are what it has.
      if (stat.isSymbolicLink())
        out[key] = `link:${fs.readlinkSync(abs, { encoding: "buffer" }).toString("hex")} owner=${stat.uid}:${stat.gid} mtime=${Math.round(stat.mtimeMs)}`;
      else if (stat.isDirectory()) {
        out[`${key}/`] = `dir ${describe(abs, stat)}`;
        walk(abs, key);
      } else out[key] = `file:${createHash("sha256").update(fs.readFileSync(abs)).digest("hex")} ${describe(abs, stat)}`;
    }
  };
  const top = Buffer.from(root);
  walk(top, "");
  out[""] = `root ${describe(top, fs.statSync(top))}`;
  return out;
}

/** A deterministic generator (mulberry32): the same seed, the same tree. */
export function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}
