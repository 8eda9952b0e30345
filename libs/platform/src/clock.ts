/** The only place the apps read the time; libs/domain and libs/sla take `now` as an argument. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
