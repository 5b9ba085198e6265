import { installationChanges, installationListing } from "../scripts/installation-guard.cjs";

/**
 * Playwright's global setup: a listing of the installation's own var/ before the browser tests, compared
 * after them (the returned teardown). The test portals keep everything under e2e/.data (server.mjs).
 */
export default function globalSetup() {
  const before = installationListing();
  return () => {
    const problem = installationChanges(before, installationListing());
    if (problem) throw new Error(problem);
  };
}
