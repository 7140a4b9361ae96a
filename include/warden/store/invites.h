/*
 * store/invites: instance invites and their use slots.
 *
 * instance_invites:     {_id: code (6 of [A-Za-z0-9]), max_uses (-1 = unlimited),
 *                        created_at: date}
 * instance_invite_uses: slots  {_id: "<code>#<n as 10 digits>", user_id (Int64|null),
 *                               created_at: date, old_id (only on slots that
 *                               `wardenctl migrate` renumbered)}
 *                       tombstones {_id: "<code>~<n as 10 digits>", created_at: date}
 *
 * Every query is by _id: the invite by its code, its slots and tombstones
 * by prefix ranges ("<code>#", "<code>~"). Padding to a fixed width makes
 * the string order of slots their numeric order.
 *
 * A use is consumed by inserting slot top+1, top being the highest slot
 * (one descending read of the range, limit 1): the unique _id makes the
 * insert the atomic step on MongoDB and FerretDB alike, and a duplicate
 * means another registration took that number (read again). So slots are
 * always 1..top without a gap. A use is given back, never by deleting its
 * slot, but by inserting a tombstone with the slot's number: uses = top -
 * tombstones. A limited invite admits slot top+1 only if (top+1) -
 * tombstones <= max_uses; tombstones only grow, so a count read before the
 * insert can only be low, and the check only stricter than the truth: N
 * concurrent registrations on max_uses k succeed exactly k times (none
 * gives a use back). Tombstones are rare (a registration failing after its
 * use was taken), so reading them is a short range, empty most of the time.
 * A slot whose registration died before creating the account, or before
 * recording its owner, stays a use (user_id null): never an overshoot.
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
/** By code, with its uses counted. STORE_NOT_FOUND: no such invite. */
enum store_status store_invite_get(struct db *db, const char *code, struct invite *out,
                                   bson_error_t *e);
/** All invites, oldest first, with their uses; *out is malloc'ed (free it), *n its length. */
enum store_status store_invite_list(struct db *db, struct invite **out, size_t *n, bson_error_t *e);
/** Delete an invite, then its slots and tombstones; STORE_NOT_FOUND when there was none. */
enum store_status store_invite_delete(struct db *db, const char *code, bson_error_t *e);

/**
 * Take one use of inv: STORE_OK with the slot number in *slot, STORE_NOT_FOUND
 * when every use is taken ("invite expired"). STORE_ERROR (e filled) also
 * when too many concurrent registrations kept taking the next slot first.
 */
enum store_status store_invite_consume(struct db *db, const struct invite *inv, int64_t *slot,
                                       bson_error_t *e);
/** Record who used a slot (an update by _id of the slot only its taker writes). */
enum store_status store_invite_slot_owner(struct db *db, const char *code, int64_t slot,
                                          int64_t user_id, bson_error_t *e);
/** Give a use back (the account was not created): the slot's tombstone. */
enum store_status store_invite_release(struct db *db, const char *code, int64_t slot, bson_error_t *e);

/**
 * `wardenctl migrate` step (store_backfill): slots stored by a release that
 * numbered them "<code>#<n>" with a code field are renumbered densely in
 * the padded form and the old ones deleted; idempotent.
 */
enum store_status store_invites_backfill(struct db *db, int64_t *written, bson_error_t *e);

/** Whether s is a well-formed invite code. */
bool store_invite_code_valid(const char *s);

#endif
