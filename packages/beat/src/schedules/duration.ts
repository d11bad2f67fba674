/** Reading durations: seconds as a number, `"90s"`, `"5m"`, `"1h30m"`, `"1.5h"`, `"2d"`, `"1w"` or ISO 8601 `"PT5M"`. */
import { Duration } from 'luxon';
import { ScheduleParseError } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Returns the duration in **seconds**; throws {@link ScheduleParseError} for text it cannot read. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (/^P/i.test(trimmed)) {
    const d = Duration.fromISO(trimmed.toUpperCase());
    if (d.isValid) return d.as('seconds');
  } else if (/^(\d+(\.\d+)?(ms|s|m|h|d|w)\s*)+$/i.test(trimmed)) {
    let total = 0;
    for (const m of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gi)) total += Number(m[1]) * UNIT_SECONDS[m[2]!.toLowerCase()]!;
    return total;
  }
  throw new ScheduleParseError(`cannot read duration ${JSON.stringify(text)}; use seconds (30), "30s", "5m", "1h30m", "2d" or ISO 8601 "PT5M"`);
}
