import { describe, expect, it } from "vitest";
import { durationScale, formatSeconds, niceCeiling, sizeScale, tickLabel } from "@/lib/chart-scale";

describe("chart axes", () => {
  it("pick the unit from the data and end on a round number", () => {
    expect(sizeScale(74.7 * 1024 * 1024)).toMatchObject({ unit: "MB", max: 100, ticks: [0, 50, 100] });
    expect(sizeScale(3.2 * 1024 ** 3)).toMatchObject({ unit: "GB", max: 5 });
    expect(sizeScale(900)).toMatchObject({ unit: "B", max: 1000 });
    expect(durationScale(42)).toMatchObject({ unit: "s", max: 50 });
    expect(durationScale(600)).toMatchObject({ unit: "min", max: 10 });
    expect(durationScale(3 * 3600)).toMatchObject({ unit: "h", max: 5 });
    expect(durationScale(0)).toMatchObject({ unit: "s", max: 1 });
  });

  it("round up to 1, 2, 2.5 or 5 times a power of ten, and label ticks plainly", () => {
    expect([0.3, 1, 1.1, 2.2, 4, 7, 10, 11, 230].map(niceCeiling)).toEqual([0.5, 1, 2, 2.5, 5, 10, 10, 20, 250]);
    expect([0, 1.25, 2.5, 1000].map(tickLabel)).toEqual(["0", "1.25", "2.5", "1,000"]);
    expect([4.4, 75, 3725].map(formatSeconds)).toEqual(["4 s", "1 min 15 s", "1 h 2 min"]);
  });
});
