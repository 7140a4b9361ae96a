/*
 * valid: hand-written equivalents of the specs' regular expressions
 * (see include/warden/valid.h); no regex engine, no backtracking.
 */
#include "warden/valid.h"

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_chat_username(const char *s, size_t len)
{
    if (len < CHAT_USERNAME_MIN || len > CHAT_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != ' ')
            return false;
    return true;
}

bool valid_email(const char *s, size_t len)
{
    if (len == 0 || len > EMAIL_MAX)
        return false;
    size_t i = 0;
    /* local part: [a-zA-Z0-9_.+-]+ */
    while (i < len && (is_alnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '+' || s[i] == '-'))
        i++;
    if (i == 0 || i >= len || s[i] != '@')
        return false;
    i++;
    /* [a-zA-Z0-9-]+ \. [a-zA-Z0-9-.]+ : the domain needs a dot after a
     * non-empty first label, then anything of [a-zA-Z0-9-.]. */
    size_t label = 0;
    while (i < len && (is_alnum(s[i]) || s[i] == '-')) {
        i++;
        label++;
    }
    if (label == 0 || i >= len || s[i] != '.')
        return false;
    i++;
    if (i >= len)
        return false;
    for (; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

bool valid_game_name(const char *s, size_t len)
{
    if (len < GAME_NAME_MIN || len > GAME_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]))
            return false;
    return true;
}
