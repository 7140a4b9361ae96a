/*
 * game_lookup: the {lookup} path parameter of the game's routes, a GUID or
 * a name (see include/warden/api.h).
 */
#include <stdio.h>
#include <string.h>

#include "warden/api.h"
#include "warden/error.h"
#include "warden/guid.h"
#include "warden/valid.h"

bool api_game_key(const struct request *req, struct response *res, char id[GUID_STRING_SIZE],
                  const char **name)
{
    const char *key = request_param(req, "lookup");
    const char *problem = NULL;
    *name = NULL;
    if (guid_parse(key, id))
        problem = guid_is_zero(id) ? "Invalid id." : NULL;
    else if (valid_game_name(key, strlen(key)))
        *name = key;
    else
        problem = "Invalid name.";
    if (problem && res)
        error_send(res, req, 400, problem);
    return !problem;
}

void api_game_not_found(const struct request *req, struct response *res, const char *what)
{
    char msg[200];
    snprintf(msg, sizeof msg, "No %s found for lookup key '%.100s'", what, request_param(req, "lookup"));
    error_send(res, req, 404, msg);
}
