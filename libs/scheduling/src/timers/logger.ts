/** What the scheduling classes log through; Nest's Logger and pino fit it. */
export interface SchedulingLogger {
  log?(message: string): void;
  warn?(message: string): void;
  error(message: string, error?: unknown): void;
}

export const consoleLogger: SchedulingLogger = {
  log: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m, e) => console.error(m, e),
};
