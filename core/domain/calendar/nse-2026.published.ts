// NSE's published 2026 calendar for the equity (capital market) segment, transcribed row by row
// in the circulars' own wording and date format, as a fixture independent of nse-2026.json:
// the test next to it parses these rows and compares them with the data file.
//
// - NSE/CMTR/71775, Circular Ref. No. 172/2025, 12 December 2025, "Trading holidays for the
//   calendar year 2026" (https://nsearchives.nseindia.com/content/circulars/CMTR71775.pdf): the
//   fifteen weekday holidays, the four falling on a Saturday or Sunday, and the footnote that
//   Muhurat trading is on Sunday, November 08, 2026 with timings "notified subsequently".
// - NSE/CMTR/72260, Circular Ref. No. 07/2026, 12 January 2026
//   (https://nsearchives.nseindia.com/content/circulars/CMTR72260.pdf): Thursday, January 15,
//   2026 a trading holiday on account of the Municipal Corporation Election in Maharashtra, in
//   partial modification of NSE/CMTR/71775.
// - NSE/CMTR/72349, 16 January 2026 (https://nsearchives.nseindia.com/content/circulars/CMTR72349.pdf):
//   live trading session on Sunday, February 01, 2026 (Union Budget), normal market 09:15 to 15:30.

export const CMTR_71775_HOLIDAYS = [
  ['January 26, 2026', 'Monday', 'Republic Day'],
  ['March 03, 2026', 'Tuesday', 'Holi'],
  ['March 26, 2026', 'Thursday', 'Shri Ram Navami'],
  ['March 31, 2026', 'Tuesday', 'Shri Mahavir Jayanti'],
  ['April 03, 2026', 'Friday', 'Good Friday'],
  ['April 14, 2026', 'Tuesday', 'Dr. Baba Saheb Ambedkar Jayanti'],
  ['May 01, 2026', 'Friday', 'Maharashtra Day'],
  ['May 28, 2026', 'Thursday', 'Bakri Id'],
  ['June 26, 2026', 'Friday', 'Muharram'],
  ['September 14, 2026', 'Monday', 'Ganesh Chaturthi'],
  ['October 02, 2026', 'Friday', 'Mahatma Gandhi Jayanti'],
  ['October 20, 2026', 'Tuesday', 'Dussehra'],
  ['November 10, 2026', 'Tuesday', 'Diwali-Balipratipada'],
  ['November 24, 2026', 'Tuesday', 'Prakash Gurpurb Sri Guru Nanak Dev'],
  ['December 25, 2026', 'Friday', 'Christmas'],
] as const;

/** "The holidays falling on Saturday / Sunday are as follows" in the same circular. */
export const CMTR_71775_WEEKEND_HOLIDAYS = [
  ['February 15, 2026', 'Sunday', 'Mahashivratri'],
  ['March 21, 2026', 'Saturday', 'Id-Ul-Fitr (Ramadan Eid)'],
  ['August 15, 2026', 'Saturday', 'Independence Day'],
  ['November 08, 2026', 'Sunday', 'Diwali Laxmi Pujan'],
] as const;

export const CMTR_72260_HOLIDAYS = [['January 15, 2026', 'Thursday', 'Municipal Corporation Election - Maharashtra']] as const;

/** [date, day, normal market open, normal market close] */
export const CMTR_72349_SESSIONS = [['February 01, 2026', 'Sunday', '09:15', '15:30']] as const;
