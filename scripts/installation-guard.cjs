// Tests run beside a real installation (the checkout's own var/: its database, backups, mail outbox).
// A test run takes a listing of it before and compares after: anything a test wrote there fails the run.
// CommonJS so that both Vitest's global setup and Playwright's (TypeScript turned into CommonJS) load it.
const fs = require("node:fs");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..");

/** Every file and folder under the installation's var/ (and .env), with size and modification time. */
function installationListing(root = repoRoot) {
  const lines = [];
  const visit = (rel) => {
    const abs = path.join(root, rel);
    let stat;
    try {
      stat = fs.lstatSync(abs);
    } catch {
      return;
    }
    lines.push(`${rel}${stat.isDirectory() ? "/" : ` ${stat.size} ${stat.mtimeMs}`}`);
    if (stat.isDirectory()) for (const name of fs.readdirSync(abs).sort()) visit(path.join(rel, name));
  };
  visit("var");
  visit(".env");
  return lines;
}

/** The sentence a run fails with when its tests changed the installation, or null. */
function installationChanges(before, after) {
  const was = new Set(before);
  const is = new Set(after);
  const added = after.filter((l) => !was.has(l));
  const removed = before.filter((l) => !is.has(l));
  if (added.length === 0 && removed.length === 0) return null;
  return [
    "The tests touched the installation's own var/ (each test must use a temporary root of its own):",
    ...added.slice(0, 20).map((l) => `  + ${l}`),
    ...removed.slice(0, 20).map((l) => `  - ${l}`),
  ].join("\n");
}

module.exports = { installationListing, installationChanges };
