/**
 * ISO 8601 date-times as Python writes and reads them (`datetime.isoformat()` / `fromisoformat`).
 * Celery puts these in `eta`, `expires`, `date_done` and kombu's `datetime` JSON envelopes.
 */

import { DecodeError, EncodeError } from '../errors.js';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Format `date` as Python's `datetime.isoformat()` of an aware UTC datetime, always with 6 fractional
 * digits: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (the last 3 digits are 0: a Date holds milliseconds).
 * Every Celery version parses this form.
 * @throws EncodeError for an invalid Date or a year outside Python's 1..9999.
 */
export function formatPythonIsoDate(date: Date): string {
  const ms = date.getTime();
  const year = date.getUTCFullYear();
  if (Number.isNaN(ms)) throw new EncodeError('cannot encode an invalid Date');
  if (year < 1 || year > 9999) throw new EncodeError(`year ${year} is outside Python's datetime range 1..9999`);
  return (
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(date.getUTCMilliseconds(), 3)}000+00:00`
  );
}

// date [T|space time [fraction]] [Z | ±HH[[:]MM[[:]SS]]]
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * Parse an ISO 8601 date-time into a Date. Accepts what Python and JavaScript write: `T` or a space
 * between date and time; any number of fractional-second digits (`.5` = 500 ms; digits past
 * milliseconds are truncated); `Z`, `±HH`, `±HHMM`, `±HH:MM[:SS]` offsets; naive values and bare
 * dates are taken as UTC (Celery's `naive_as_utc`).
 * @throws DecodeError when the text is not such a date-time or a field is out of range.
 */
export function parseIsoDate(text: string): Date {
  const m = ISO_RE.exec(text);
  if (!m) throw new DecodeError(`not an ISO 8601 date-time: ${JSON.stringify(text)}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', , sign, oh = '0', om = '0', os = '0'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const offsetSeconds = (Number(oh) * 3600 + Number(om) * 60 + Number(os)) * (sign === '-' ? -1 : 1);
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 ||
    Number(oh) > 23 || Number(om) > 59 || Number(os) > 59
  ) {
    throw new DecodeError(`date-time field out of range: ${JSON.stringify(text)}`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) throw new DecodeError(`no such day: ${JSON.stringify(text)}`);
  return new Date(date.getTime() - offsetSeconds * 1000);
}
