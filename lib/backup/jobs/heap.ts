import v8 from "node:v8";

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent: 20 here
 * instead of V8's own factor, which on a heap of this size lets it double or more before collecting.
 * A restore or verify of 200,000 files keeps some 80 MB of records and leaves tens of megabytes of
 * garbage behind each phase; with V8's factor that garbage waited, and the writer thread's memory took
 * the restore past 200 MB (bench, size many: 199 MB peak, 170 MB with this; archive 161–177 MB against
 * 138–143 MB, verify 173–185 against 164–165 MB, times within the run's noise). Not allowed in
 * NODE_OPTIONS, so set by the process itself before it does any work.
 */
const HEAP_GROWING_PERCENT = 20;

/** For job processes only (the CLI, the bench's engine): the portal keeps V8's defaults. */
export function tuneHeapForJobs(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
