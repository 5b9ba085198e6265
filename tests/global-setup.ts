import { execFileSync } from "node:child_process";

/** The worker tests start the real background process: build the CLI they run, as `npm run build` does. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build-cli.mjs"], { stdio: "inherit" });
}
