import { execFileSync } from "node:child_process";
import { installationChanges, installationListing } from "../scripts/installation-guard.cjs";

/** The worker tests start the real background process: build the CLI they run, as `npm run build` does. */
export default function setup() {
  execFileSync(process.execPath, ["scripts/build-cli.mjs"], { stdio: "inherit" });
  const before = installationListing();
  // Every test file has a temporary portal root of its own (setup-env.ts): the installation stays as it was.
  return () => {
    const problem = installationChanges(before, installationListing());
    if (problem) throw new Error(problem);
  };
}
