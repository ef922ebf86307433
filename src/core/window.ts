/** A half-open interval `[start, end)` in UTC plus the CloudTrail day partitions (`yyyy/MM/dd`, UTC) it touches. */
export interface TimeWindow {
  start: Date;
  end: Date;
  /** What the user typed (or the default), normalised: `12h`, `today`, `since 2026-11-20T08:00Z`, … */
  label: string;
  /** Every UTC day `yyyy/MM/dd` that overlaps `[start, end)`, ascending. CloudTrail partitions by UTC delivery day. */
  partitions: string[];
}

/** JSON form of a window, as stored with an execution. */
export interface TimeWindowJson {
  start: string;
  end: string;
  label: string;
  partitions: string[];
}
