/**
 * The page cache of each SQLite connection the apps open, in KiB (`cache_size = -N`): 2 MiB,
 * SQLite's own default. better-sqlite3 builds SQLite with 16 MiB
 * (SQLITE_DEFAULT_CACHE_SIZE=-16000), which each connection fills as the file's indexes outgrow it:
 * resident memory that rose for 100k+ appends (the soak's "rising" RSS) and bought no measurable
 * speed, the OS page cache holding the same pages (ADR 0018, 2026-12-02).
 */
export const SQLITE_CACHE_KIB = 2000;
