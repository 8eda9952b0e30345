export * from './config';
export * from './clock';
export * from './platform.module';
export * from './logging';
export * from './metrics';
export * from './old-space-compaction';
export * from './personal-data';
export * from './secret-files';
