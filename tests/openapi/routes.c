/*
 * routes: print the route table (src/api/routes.c), one "METHOD PATTERN"
 * line per entry, for tests/openapi/check_routes, which compares it with
 * the paths of nginx/html/openapi.json. Linked against the library, so the
 * list is the table the pool serves, not a reading of its source.
 */
#include <stdio.h>

#include "warden/api.h"

int main(void)
{
    for (size_t i = 0; i < api_routes_count; i++)
        printf("%s %s\n", api_routes[i].method, api_routes[i].pattern);
    return 0;
}
