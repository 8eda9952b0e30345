import { DateTime } from 'luxon';
import { nextDate, prevDate } from './calendar';
import { calendarOf } from './due-dates';
import type { Policy } from './policy.schema';

// Fixed locale: the words go to families in English whatever the server's locale is.
const LOCALE = 'en-GB';

/** GOV.UK style clock time: "9am", "5:30pm", "midday" (midnight never gets here: it is a day's end). */
function clockInWords(local: DateTime): string {
  const { hour, minute } = local;
  if (hour === 12 && minute === 0) return 'midday';
  const h = hour % 12 || 12;
  return `${h}${minute ? `:${String(minute).padStart(2, '0')}` : ''}${hour < 12 ? 'am' : 'pm'}`;
}

/**
 * A due time in plain words, in the policy's time zone, GOV.UK style:
 * "by the end of Tuesday 3 March" when it is a working day's close (or midnight, the end of the day
 * before), otherwise "by 2pm on Tuesday 3 March". With `now`: "by the end of today, Tuesday 3 March",
 * "by 5:30pm tomorrow, Wednesday 4 March" (the date stays, as a message may be read days later), and
 * the year when it is not now's. Seconds are dropped, never rounded up: the words never promise later
 * than the due time.
 */
export function dueInWords(due: Date, policy: Policy, now?: Date): string {
  const calendar = calendarOf(policy);
  const zone = calendar.timezone;
  const local = DateTime.fromJSDate(due, { zone }).setLocale(LOCALE);
  if (!local.isValid) throw new RangeError('due is not a valid Date');
  const minute = local.startOf('minute');
  const date = local.toISODate()!;
  const isMidnight = minute.hour === 0 && minute.minute === 0;
  const closesWorkingDay = calendar.intervalOn(date)?.[1] === due.getTime();
  // The day the words are about: midnight is the end of the day before it.
  const day = isMidnight ? prevDate(date) : date;

  const nowLocal = now ? DateTime.fromJSDate(now, { zone }) : undefined;
  const dayLocal = DateTime.fromISO(day, { zone }).setLocale(LOCALE);
  const withYear = nowLocal !== undefined && nowLocal.year !== dayLocal.year;
  const named = dayLocal.toFormat(withYear ? 'cccc d LLLL yyyy' : 'cccc d LLLL');
  const today = nowLocal?.toISODate();
  const relative = today === day ? 'today' : today && nextDate(today) === day ? 'tomorrow' : undefined;

  if (isMidnight || closesWorkingDay) return relative ? `by the end of ${relative}, ${named}` : `by the end of ${named}`;
  const clock = clockInWords(minute);
  return relative ? `by ${clock} ${relative}, ${named}` : `by ${clock} on ${named}`;
}
