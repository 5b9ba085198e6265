import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { installationChanges, installationListing } from "../scripts/installation-guard.cjs";
import { outboxDir } from "@/lib/mail/send";
import { projectRoot } from "@/lib/config";

describe("the installation guard both test runners use", () => {
  it("notices a mail written into an installation's var/, and a file removed from it", () => {
    const install = fs.mkdtempSync(path.join(os.tmpdir(), "safekeep-install-"));
    fs.mkdirSync(path.join(install, "var/data"), { recursive: true });
    fs.writeFileSync(path.join(install, "var/data/safekeep.db"), "db");
    const before = installationListing(install);
    expect(installationChanges(before, installationListing(install))).toBeNull();
    fs.mkdirSync(path.join(install, "var/mail-outbox"));
    fs.writeFileSync(path.join(install, "var/mail-outbox/x.eml"), "mail");
    fs.rmSync(path.join(install, "var/data/safekeep.db"));
    const problem = installationChanges(before, installationListing(install));
    expect(problem).toMatch(/touched the installation's own var\//);
    expect(problem).toContain("+ var/mail-outbox/x.eml 4");
    expect(problem).toMatch(/- var\/data\/safekeep\.db 2/);
    fs.rmSync(install, { recursive: true, force: true });
  });

  it("and the tests' own mails go to their temporary root, not the checkout", () => {
    expect(projectRoot).not.toBe(process.cwd());
    expect(outboxDir().startsWith(projectRoot + path.sep)).toBe(true);
  });
});
