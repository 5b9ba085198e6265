import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Every file, folder and link under `root` with a digest of its content: equal snapshots, equal trees. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs);
      const stat = fs.lstatSync(abs);
      if (stat.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(abs)}`;
      else if (stat.isDirectory()) {
        out[`${rel}/`] = "dir";
        walk(abs);
      } else out[rel] = createHash("sha256").update(fs.readFileSync(abs)).digest("hex");
    }
  };
  walk(root);
  return out;
}
