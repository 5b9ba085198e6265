import { execa } from "execa";
import { describeError } from "@/lib/backup/jobs/errors";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Runs `program --version`: proves the program is there and runnable, and names its version. */
export async function versionOf(program: string, label: string): Promise<CheckResult> {
  const result = await execa(program, ["--version"], { reject: false, timeout: 10_000 });
  if (result.exitCode === 0) return { name: label, ok: true, detail: `${program}: ${String(result.stdout).split("\n")[0]}` };
  const code = (result as { code?: string }).code;
  return {
    name: label,
    ok: false,
    detail:
      code === "ENOENT"
        ? `"${program}" was not found: install it or set its path`
        : `"${program}" failed: ${String(result.stderr || result.stdout)
            .trim()
            .slice(0, 200)}`,
  };
}

/** One named check: what `run` returns when it works, the error's sentence when it throws. */
export async function check(name: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: describeError(error) };
  }
}
