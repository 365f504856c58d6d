/**
 * The source of "now" for everything that stamps money movements. Production uses the
 * system clock; the demo seeder moves a simulated clock through months of history.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is set; the seeder advances it in time order. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
}

/** A clock that can be switched between the system clock and a manual one. */
export class SwitchableClock implements Clock {
  private inner: Clock = systemClock;
  now(): Date {
    return this.inner.now();
  }
  use(clock: Clock): void {
    this.inner = clock;
  }
  reset(): void {
    this.inner = systemClock;
  }
}
