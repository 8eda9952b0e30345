import { Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { TelephonyRepository } from '@send/read-models';
import { REDIS } from '@send/platform';
import { CasesModule } from '../cases/cases.module';
import { RequestsModule } from '../requests/requests.module';
import { DataSubjectsController } from './data-subjects.controller';
import { ExportPage } from './export-page';
import { SubjectErasureService } from './subject-erasure';
import { SubjectExportService } from './subject-export';
import { SubjectStreamsFinder } from './subject-streams';

/**
 * Personal data of one data subject (issue 14, ADR 0017): the subject access export and erasure.
 * The keys come from DATA_KEYS (the platform's DataKeyStore); retention runs in the worker.
 */
@Module({
  imports: [RequestsModule, CasesModule],
  controllers: [DataSubjectsController],
  providers: [
    SubjectStreamsFinder,
    SubjectExportService,
    SubjectErasureService,
    ExportPage,
    { provide: TelephonyRepository, inject: [REDIS], useFactory: (redis: Redis) => new TelephonyRepository(redis) },
  ],
})
export class DataSubjectsModule {}
