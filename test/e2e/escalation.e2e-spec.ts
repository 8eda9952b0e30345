import { escalationJourney, sqliteJourney } from './escalation-journey';

escalationJourney('SQLite', sqliteJourney);
