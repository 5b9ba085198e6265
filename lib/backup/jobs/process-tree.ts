import { readdirSync, readFileSync } from "node:fs";

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function readStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

function allProcesses(): ProcStat[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((s) => s !== null);
}

/** Every process below `pid`, read from /proc. */
export function descendantsOf(pid: number, all = allProcesses()): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const s of all) {
      if (s.ppid === parent && !found.includes(s.pid)) {
        found.push(s.pid);
        queue.push(s.pid);
      }
    }
  }
  return found;
}

/** Alive and not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = readStat(pid);
  return stat ? stat.state !== "Z" : true;
}

function send(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // Already gone.
  }
}

interface Tree {
  group: number | null;
  pids: number[];
}

/**
 * A worker and everything it started. The portal's worker is started detached, so it leads its own
 * process group and the whole group is signalled (that reaches dump tools and anything they forked). A
 * CLI run shares its terminal's group: that group is signalled too (as Ctrl-C would), unless it is ours.
 * Descendants are listed one by one as well, for children that moved to a group of their own.
 */
function treeOf(pid: number): Tree {
  const all = allProcesses();
  const stat = all.find((s) => s.pid === pid);
  const ownGroup = all.find((s) => s.pid === process.pid)?.pgid;
  const group = stat && stat.pgid > 1 && stat.pgid !== ownGroup ? stat.pgid : null;
  const members = group ? all.filter((s) => s.pgid === group).map((s) => s.pid) : [];
  return { group, pids: [...new Set([pid, ...descendantsOf(pid, all), ...members])] };
}

function signalTree(tree: Tree, signal: NodeJS.Signals): void {
  if (tree.group) send(-tree.group, signal);
  for (const p of tree.pids) send(p, signal);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!pids.some(isRunning)) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** SIGTERM to the tree, then SIGKILL to whatever still runs after the grace period. */
export async function stopTree(pid: number, graceMs = 5000): Promise<void> {
  const tree = treeOf(pid);
  signalTree(tree, "SIGTERM");
  if (await waitGone(tree.pids, graceMs)) return;
  const later = treeOf(pid);
  const all = { group: tree.group, pids: [...new Set([...tree.pids, ...later.pids])] };
  signalTree(all, "SIGKILL");
  await waitGone(all.pids, 5000);
}
