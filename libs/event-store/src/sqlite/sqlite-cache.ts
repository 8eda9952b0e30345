/**
 * The page cache of each SQLite connection the apps open, in KiB (`cache_size = -N`): 2 MiB,
 * SQLite's own default. better-sqlite3 builds SQLite with 16 MB (SQLITE_DEFAULT_CACHE_SIZE=-16000),
 * which a writing connection fills and keeps (the writer thread's: ~20 MB of its own malloc arena,
 * read by the soak as a rising RSS); 2 MiB cost no measured speed, the OS page cache holding the
 * same pages (ADR 0018, 2026-12-02).
 */
export const SQLITE_CACHE_KIB = 2000;
