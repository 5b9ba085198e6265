import fs from "node:fs";

/**
 * TEST ONLY. With SAFEKEEP_TEST_HOLD_PHASE=<phase> and SAFEKEEP_TEST_HOLD_FILE=<path> in its environment,
 * the worker writes <phase> to that file on entering the phase and then stops there for good (the event
 * loop blocked), so a test can kill it at a known point of a phase too short to catch otherwise
 * (finalizing). Never set these in production: the backup would hang until the reaper kills it.
 */
export function holdForTests(phase: string): void {
  const { SAFEKEEP_TEST_HOLD_PHASE: holdPhase, SAFEKEEP_TEST_HOLD_FILE: holdFile } = process.env;
  if (!holdPhase || !holdFile || holdPhase !== phase) return;
  fs.writeFileSync(holdFile, phase);
  const blocker = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(blocker, 0, 0, 60_000);
}
