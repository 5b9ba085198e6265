// Runs once when the server starts, before it serves a request.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  (await import("@/lib/http/connection-stamp")).installConnectionStamp();
  const { refuseToStartOnProblems } = await import("@/lib/startup-checks");
  await refuseToStartOnProblems();
}
