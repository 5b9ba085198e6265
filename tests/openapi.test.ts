import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/api/openapi";
import { parseRange } from "@/lib/http/range";

function routeFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === "route.ts" ? [path.join(dir, e.name)] : []));
}

describe("the OpenAPI document", () => {
  it("describes every v1 route with every method it answers", () => {
    const root = path.join(process.cwd(), "app");
    const paths = openApiDocument.paths as Record<string, Record<string, unknown>>;
    const files = routeFiles(path.join(root, "api/v1"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const route = "/" + path.relative(root, path.dirname(file)).replace(/\[(\w+)\]/g, "{$1}");
      expect(paths, route).toHaveProperty([route]);
      const methods = [...fs.readFileSync(file, "utf8").matchAll(/export (?:const|async function|function) (GET|POST|DELETE|PUT|PATCH)\b/g)].map((m) =>
        m[1]!.toLowerCase(),
      );
      expect(methods.length, route).toBeGreaterThan(0);
      for (const method of methods) expect(paths[route], `${method} ${route}`).toHaveProperty([method]);
    }
  });
});

describe("Range headers", () => {
  it.each([
    [null, { kind: "full" }],
    ["bytes=0-99", { kind: "partial", start: 0, end: 99 }],
    ["bytes=500-", { kind: "partial", start: 500, end: 999 }],
    ["bytes=-100", { kind: "partial", start: 900, end: 999 }],
    ["bytes=900-5000", { kind: "partial", start: 900, end: 999 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=50-10", { kind: "unsatisfiable" }],
    ["bytes=0-1,5-9", { kind: "full" }],
    ["items=0-5", { kind: "full" }],
  ] as const)("%s on 1000 bytes", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });
});
