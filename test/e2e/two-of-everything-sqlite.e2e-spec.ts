import { sqliteJourney } from './escalation-journey';
import { twoOfEverything } from './two-of-everything';

// Issue 13: two apis and two workers on one SQLite file (WAL, one writer at a time across processes) and one Redis.
twoOfEverything('SQLite file', sqliteJourney);
