/*
 * store/invites: instance invites and their use slots.
 *
 * instance_invites:     {_id: code (6 of [A-Za-z0-9]), max_uses (-1 = unlimited),
 *                        created_at: date}
 * instance_invite_uses: {_id: "<code>#<n>", code, n, user_id (Int64|null),
 *                        created_at: date}
 *
 * A use is consumed by inserting the slot document for some n <= max_uses:
 * the unique _id makes the insert the atomic step on MongoDB and FerretDB
 * alike, so N concurrent registrations on max_uses k succeed exactly k
 * times. A use is given back by deleting its slot. `uses` is the number of
 * slot documents, counted, never stored.
 */
#ifndef WARDEN_STORE_INVITES_H
#define WARDEN_STORE_INVITES_H

#include <stddef.h>
#include <stdint.h>

#include "warden/store.h"

#define INVITE_CODE_LEN 6

struct invite {
    char code[INVITE_CODE_LEN + 1];
    int64_t max_uses;
    int64_t uses;
    int64_t created_at; /* ms */
};

/** Create an invite with a fresh random code. */
enum store_status store_invite_create(struct db *db, int64_t max_uses, struct invite *out,
                                      bson_error_t *e);
enum store_status store_invite_get(struct db *db, const char *code, struct invite *out,
                                   bson_error_t *e);
/** All invites, oldest first, with their uses; *out is malloc'ed (free it), *n its length. */
enum store_status store_invite_list(struct db *db, struct invite **out, size_t *n, bson_error_t *e);
/** Delete an invite and its slots; STORE_NOT_FOUND when there was none. */
enum store_status store_invite_delete(struct db *db, const char *code, bson_error_t *e);

/**
 * Take one use of inv: STORE_OK with the slot number in *slot, STORE_NOT_FOUND
 * when every use is taken ("invite expired").
 */
enum store_status store_invite_consume(struct db *db, const struct invite *inv, int64_t *slot,
                                       bson_error_t *e);
/** Record who used a slot. */
enum store_status store_invite_slot_owner(struct db *db, const char *code, int64_t slot,
                                          int64_t user_id, bson_error_t *e);
/** Give a use back (the account was not created). */
enum store_status store_invite_release(struct db *db, const char *code, int64_t slot, bson_error_t *e);

/** Whether s is a well-formed invite code. */
bool invite_code_valid(const char *s);

#endif
