/**
 * Phone numbers in E.164 (`+447700900101`), so `07700 900101`, `+44 7700 900101` and `0044 7700
 * 900101` are one number wherever a number is compared (case contacts, telephony). Parsing is
 * libphonenumber-js's (pure, no IO); national numbers are read as UK ones.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** The number in E.164, or null when it is not a possible phone number. */
export const toE164 = (raw: string, defaultCountry: 'GB' = 'GB'): string | null => {
  const trimmed = raw.trim();
  if (trimmed === '') return null;
  // "0044 ..." is how UK callers often write the international prefix.
  const parsed = parsePhoneNumberFromString(trimmed.replace(/^00/, '+'), defaultCountry);
  return parsed && parsed.isPossible() ? parsed.number : null;
};

export const isE164 = (value: string): boolean => /^\+[1-9]\d{6,14}$/.test(value);
