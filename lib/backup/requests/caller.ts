import type { Actor } from "@/lib/audit";
import type { Settings } from "@/lib/settings";
import type { PortalUser } from "@/lib/users";

/** Who asks, as the access wrappers established it: every request through the front door carries one. */
export interface Caller {
  user: PortalUser;
  /** The user as the audit trail records them: with the address they came from. */
  actor: Actor;
  settings: Settings;
}
