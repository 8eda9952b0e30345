import { parentPort, workerData } from 'node:worker_threads';
import Redis from 'ioredis';
import { fastPolicy } from '@send/domain/testing/fixtures';
import { serveLiveDashboards } from '../dashboard/live-dashboard-thread';

const { host, port, db } = workerData as { host: string; port: number; db: number };
serveLiveDashboards(parentPort!, { redis: new Redis({ host, port, db, maxRetriesPerRequest: 3 }), policy: fastPolicy });
