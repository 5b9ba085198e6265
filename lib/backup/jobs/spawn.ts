import os from "node:os";
import { execa } from "execa";
import { cliEntry, projectRoot } from "@/lib/config";

/**
 * Memory settings for a backup or restore process, measured with `npm run bench` (full backup of 1.7 GB:
 * 225 MB peak before, under 170 MB after, no slower):
 * - a young generation of 1 MB instead of 16: the engine's garbage is mostly file buffers, freed only when
 *   V8 collects their small JS handles, so collecting the young generation more often frees them sooner;
 * - one malloc arena: otherwise each thread-pool and V8 helper thread keeps its own arena's freed memory.
 * NODE_OPTIONS is ignored by a runtime other than Node; both are what `npm run backup:create` sets too.
 */
export const WORKER_NODE_OPTIONS = "--max-semi-space-size=1";
/** `nice` value of background jobs: 10, as `nice` gives by default. */
export const WORKER_NICENESS = 10;

export function workerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_OPTIONS: [env.NODE_OPTIONS, WORKER_NODE_OPTIONS].filter(Boolean).join(" "),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? "1",
  };
}

/**
 * Starts `<runtime> <cli> <args>` detached from the caller, so a web request returns at once and the work
 * outlives it. Resolves with the pid once the process exists; rejects when it could not be started.
 * Only ids travel on the command line: settings' secrets reach the child through its environment, a key
 * given for this job only through its standard input.
 */
export async function startDetached(runtimeBinary: string, args: string[], secretInput?: string): Promise<number> {
  const child = execa(runtimeBinary, [cliEntry(), ...args], {
    cwd: projectRoot,
    env: workerEnv(),
    extendEnv: false,
    detached: true,
    // A key given for one job reaches it on its standard input: never on a command line (ps shows it) or in a file.
    stdin: secretInput === undefined ? "ignore" : "pipe",
    stdout: "ignore",
    stderr: "ignore",
    cleanup: false,
    reject: false,
  });
  if (secretInput !== undefined) child.stdin?.end(secretInput);
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (error) => reject(new Error(`Could not start the background process with "${runtimeBinary}": ${error.message}`)));
  });
  child.unref();
  // Below the portal's priority (and so are the dump tools it starts: they inherit it), so a backup
  // taking both cores never starves the pages and the progress it reports.
  try {
    os.setPriority(child.pid!, WORKER_NICENESS);
  } catch {
    // Not allowed here (some containers): the job runs at normal priority.
  }
  // Keep listening so a later exit never surfaces as an unhandled rejection.
  void child.catch(() => {});
  return child.pid!;
}
