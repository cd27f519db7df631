// SQLite's C API (libsqlite3-dev); Sources/Store/SQLite is the only user.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a function pointer made from -1, which Swift cannot import: these bind a
// copy SQLite makes before returning, so the caller's buffer need only live for the call.
static inline int mw_sqlite3_bind_blob_copy(sqlite3_stmt *statement, int index, const void *bytes, int count) {
    return sqlite3_bind_blob(statement, index, bytes, count, SQLITE_TRANSIENT);
}

static inline int mw_sqlite3_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int count) {
    return sqlite3_bind_text(statement, index, text, count, SQLITE_TRANSIENT);
}
