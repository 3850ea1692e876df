/**
 * Times that may reach `setAlarm` or the work table. `setAlarm` throws for dates after
 * the year 2189 ("This API doesn't support dates after 2189"), and a stored schedule is
 * re-armed on every alarm, so one bad date would break every later alarm of the object.
 */

/** 2189-01-01T00:00:00Z, just before the last date `setAlarm` accepts. */
export const MAX_ALARM_TIME = Date.UTC(2189, 0, 1);

/** `t` as a time `setAlarm` accepts: a finite epoch ms in [0, MAX_ALARM_TIME]. */
export function clampAlarmTime(t: number): number {
  if (!Number.isFinite(t)) return MAX_ALARM_TIME;
  return Math.min(Math.max(0, Math.floor(t)), MAX_ALARM_TIME);
}
