import { execFileSync } from "node:child_process";
import { installationChanges, installationListing } from "../scripts/installation-guard.cjs";

/** The worker tests start the real background process: build the CLI they run, as `npm run build` does. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build-cli.mjs"], { stdio: "inherit" });
  const before = installationListing();
  // Every test file has a temporary portal root of its own (setup-env.ts): the installation stays as it was.
  return () => {
    const problem = installationChanges(before, installationListing());
    if (!problem) return;
    // Vitest reports an error thrown here but still exits 0: the exit code is set too, so the run fails.
    process.exitCode = 1;
    throw new Error(problem);
  };
}
