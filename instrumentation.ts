// Runs once when the server starts, before it serves a request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { refuseToStartOnProblems } = await import("@/lib/startup-checks");
  await refuseToStartOnProblems();
}
