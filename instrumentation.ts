// Runs once when the server starts, before it serves a request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startupProblems } = await import("@/lib/startup-checks");
  const problems = await startupProblems();
  if (problems.length === 0) return;
  for (const problem of problems) console.error(`Safekeep refuses to start: ${problem}`);
  process.exit(1);
}
