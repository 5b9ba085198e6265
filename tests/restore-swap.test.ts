import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { swapTreeIn, undoSwap } from "@/lib/backup/restore/swap";
import { testRoot } from "./helpers/fixtures";
import { rawSnapshot } from "./helpers/raw-trees";

function write(root: string, files: Record<string, string>) {
  for (const [rel, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  }
}

describe("swapping a staged tree into a root", () => {
  const live = testRoot("swap/site");
  const staged = testRoot("swap/.staged");
  const aside = testRoot("swap/.aside");
  beforeEach(() => {
    fs.rmSync(testRoot("swap"), { recursive: true, force: true });
    write(live, { "index.html": "live", "old/only-live.txt": "live", "var/backups/a.zip": "backup A", "var/cache.txt": "live cache" });
    write(staged, { "index.html": "staged", "new/only-staged.txt": "staged", "var/cache.txt": "staged cache", "var/backups/evil.zip": "from the archive" });
    fs.chmodSync(live, 0o711);
  });

  it("replaces every entry but the kept folder, which stays the same folder with the same content, and undo puts all back", async () => {
    const before = rawSnapshot(live);
    const keptIno = fs.statSync(path.join(live, "var/backups")).ino;
    const journal = await swapTreeIn(live, staged, aside, [path.join(live, "var/backups")], { label: "site", path: live, mode: 0o755 });
    expect(fs.readFileSync(path.join(live, "index.html"), "utf8")).toBe("staged");
    expect(fs.existsSync(path.join(live, "old"))).toBe(false);
    expect(fs.readFileSync(path.join(live, "var/cache.txt"), "utf8")).toBe("staged cache");
    expect(fs.readdirSync(path.join(live, "var/backups"))).toEqual(["a.zip"]);
    expect(fs.statSync(path.join(live, "var/backups")).ino).toBe(keptIno);
    expect(fs.statSync(live).mode & 0o7777).toBe(0o755);

    await undoSwap(journal);
    expect(rawSnapshot(live)).toEqual(before);
    expect(fs.statSync(path.join(live, "var/backups")).ino).toBe(keptIno);
    expect(fs.existsSync(aside)).toBe(false);
  });
});
