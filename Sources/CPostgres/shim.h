// libpq from Debian's libpq-dev. Only HubCore/Storage may import this module.
#ifndef HUB_CPOSTGRES_SHIM_H
#define HUB_CPOSTGRES_SHIM_H
#include <postgresql/libpq-fe.h>
#endif
