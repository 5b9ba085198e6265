import { execa } from "execa";

const known = new Map<string, Promise<boolean>>();

function once(key: string, probe: () => Promise<boolean>): Promise<boolean> {
  let answer = known.get(key);
  if (!answer) {
    answer = probe().catch(() => false);
    known.set(key, answer);
  }
  return answer;
}

/**
 * Whether this mysql client has `--sandbox` (no \!, system, source, tee, pager...): MariaDB 10.5.25,
 * 10.6.18, 10.11.8, 11.x and later. Its own help is asked, so a backported client counts too.
 */
export function mysqlHasSandbox(mysqlPath: string): Promise<boolean> {
  return once(`mysql:${mysqlPath}`, async () => {
    const help = await execa(mysqlPath, ["--help"], { reject: false, timeout: 10_000, env: { LC_ALL: "C" } });
    return /^\s*--sandbox\b/m.test(String(help.stdout));
  });
}

/** The first release of each PostgreSQL branch whose psql has `\restrict` (August 2025). */
const RESTRICT_SINCE: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };

/** Whether this psql has `\restrict <key>`, which refuses every meta-command until `\unrestrict <key>`. */
export function psqlHasRestrict(psqlPath: string): Promise<boolean> {
  return once(`psql:${psqlPath}`, async () => {
    const result = await execa(psqlPath, ["--version"], { reject: false, timeout: 10_000, env: { LC_ALL: "C" } });
    const version = /\b(\d+)\.(\d+)/.exec(String(result.stdout));
    if (!version) return false;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major >= 18) return true;
    return RESTRICT_SINCE[major] !== undefined && minor >= RESTRICT_SINCE[major]!;
  });
}
