import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { Counter, Histogram } from 'prom-client';
import { AppMetrics } from '@send/platform';
import { problemOf } from '../common/problem.filter';

export type CommandOutcome = 'ok' | 'rejected' | 'conflict' | 'error';

/** The answer a failed command gets, in four kinds: 409 conflict, other 4xx rejected, anything else error. */
export function outcomeOf(error: unknown): CommandOutcome {
  const status = problemOf(error)?.status ?? 500;
  return status === 409 ? 'conflict' : status >= 400 && status < 500 ? 'rejected' : 'error';
}

const MEASURED = Symbol('send:command-metrics');

/**
 * Counts and times every command by its class name and outcome. It wraps `execute` once on each
 * CommandBus of the app (CqrsModule imported plainly and CqrsModule.forRoot() are two module
 * instances, each with its own bus), so no handler knows about metrics and a new command is
 * measured the day it is added.
 */
@Injectable()
export class CommandMetrics implements OnModuleInit {
  private readonly total: Counter<'command' | 'outcome'>;
  private readonly duration: Histogram<'command' | 'outcome'>;

  constructor(
    private readonly discovery: DiscoveryService,
    metrics: AppMetrics,
  ) {
    this.total = new Counter({
      name: 'send_commands_total',
      help: 'Commands executed, by command and outcome (ok, rejected 4xx, conflict 409, error)',
      labelNames: ['command', 'outcome'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: 'send_command_duration_seconds',
      help: 'Command execution time through the CommandBus (load, decide, append, view), by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    const buses = new Set(
      this.discovery
        .getProviders()
        .map((p) => p.instance as unknown)
        .filter((i): i is CommandBus => i instanceof CommandBus),
    );
    for (const bus of buses) this.measure(bus);
  }

  private measure(bus: CommandBus & { [MEASURED]?: true }): void {
    if (bus[MEASURED]) return;
    bus[MEASURED] = true;
    const { total, duration } = this;
    const execute = bus.execute.bind(bus) as (command: object, ...rest: unknown[]) => Promise<unknown>;
    // Not an async function: one `then` per command, rather than the promises of an async wrapper
    // and its await on every call through the bus.
    const measured = (command: object, ...rest: unknown[]): Promise<unknown> => {
      const end = duration.startTimer({ command: command.constructor.name });
      const finish = (outcome: CommandOutcome) => {
        end({ outcome });
        total.inc({ command: command.constructor.name, outcome });
      };
      let executed: Promise<unknown>;
      try {
        // A handler may answer without a promise: Promise.resolve hands a promise back as it is.
        executed = Promise.resolve(execute(command, ...rest));
      } catch (error) {
        // As the bus's own async callers saw it: a refusal, not a throw (e.g. no handler for the command).
        finish(outcomeOf(error));
        return Promise.reject(error);
      }
      return executed.then(
        (result) => {
          finish('ok');
          return result;
        },
        (error: unknown) => {
          finish(outcomeOf(error));
          throw error;
        },
      );
    };
    bus.execute = measured as CommandBus['execute'];
  }
}
