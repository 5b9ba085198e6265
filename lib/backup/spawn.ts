import { execa } from "execa";
import { cliEntry, projectRoot } from "@/lib/config";

/**
 * Starts `<runtime> <cli> <args>` detached from the caller, so a web request returns at once and the work
 * outlives it. Resolves with the pid once the process exists; rejects when it could not be started.
 * Only ids travel on the command line: secrets reach the child through its environment.
 */
export async function startDetached(runtimeBinary: string, args: string[]): Promise<number> {
  const child = execa(runtimeBinary, [cliEntry(), ...args], {
    cwd: projectRoot,
    detached: true,
    stdio: "ignore",
    cleanup: false,
    reject: false,
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (error) =>
      reject(new Error(`Could not start the background process with "${runtimeBinary}": ${error.message}`)),
    );
  });
  child.unref();
  // Keep listening so a later exit never surfaces as an unhandled rejection.
  void child.catch(() => {});
  return child.pid!;
}
