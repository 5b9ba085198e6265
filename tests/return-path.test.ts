import { describe, expect, it } from "vitest";
import { safeReturnPath } from "@/lib/auth/return-path";

// Where a browser goes with `location.assign(value)` on the portal: Node's URL is the same WHATWG parser.
const landsOn = (value: string) => new URL(value, "https://portal.example").origin;

describe("sign-in return path", () => {
  it("keeps ordinary paths of the portal", () => {
    expect(safeReturnPath("/backups/42")).toBe("/backups/42");
    expect(safeReturnPath("/audit?action=backup.delete&page=2")).toBe("/audit?action=backup.delete&page=2");
    expect(safeReturnPath("/backups/caf%C3%A9")).toBe("/backups/caf%C3%A9");
  });

  const hostile = [
    "/\t/evil.example/x",
    "/\r/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example/x",
    "/\t\t/evil.example/x",
    "/\u0000/evil.example/x",
    "/\u000b/evil.example/x",
    "/\u000c/evil.example/x",
    "/ /evil.example/x",
    "/\u00a0/evil.example/x",
    "/\u200b/evil.example/x",
    "/\ufeff/evil.example/x",
    "/\\evil.example/x",
    "/\t\\evil.example/x",
    "\\/evil.example/x",
    "//evil.example/x",
    "///evil.example/x",
    "/%09/evil.example/x",
    "/%2509/evil.example/x",
    "/%0d%0a/evil.example/x",
    "/%5cevil.example/x",
    "/%2f/evil.example/x",
    "/%2F%2Fevil.example",
    "https://evil.example/x",
    "javascript:alert(1)",
    " /\t/evil.example",
    "evil.example",
    "",
  ];

  it.each(hostile.map((v) => [JSON.stringify(v), v]))("never leaves the site: %s", (_label, value) => {
    const result = safeReturnPath(value);
    expect(landsOn(result)).toBe("https://portal.example");
    expect(result).toBe("/");
  });

  it("gives null and undefined the home page", () => {
    expect(safeReturnPath(undefined)).toBe("/");
    expect(safeReturnPath(null)).toBe("/");
  });
});
