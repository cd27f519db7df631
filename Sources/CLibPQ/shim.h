// PostgreSQL's client library (libpq-dev); Sources/Store/PostgreSQL is the only user.
#include <libpq-fe.h>
