#ifndef GATEHOUSE_CMARIADB_SHIM_H
#define GATEHOUSE_CMARIADB_SHIM_H
// <stddef.h> first: mysql.h uses NULL without including it.
#include <stddef.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

// Function-like macros do not import into Swift.
static inline int gatehouse_mysql_library_init(void) { return mysql_library_init(0, NULL, NULL); }
static inline void gatehouse_mysql_library_end(void) { mysql_library_end(); }
#endif
