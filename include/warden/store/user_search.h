/*
 * store/user_search: the postings behind GET /admin/users?username=&discriminator=.
 *
 * user_grams: {_id: "<gram>:<user id, 20 digits>", u: username, d: discriminator}
 *   one small document per (trigram of the username, user): <gram> is the
 *   three bytes in lower-case hex, so every key is plain ASCII whatever the
 *   name holds; and one per (discriminator, user): "#<dddd>:<id>".
 *   Written by insert when a user appears or takes a name, deleted when it
 *   leaves the name; never edited, so concurrent writers cannot lose each
 *   other's postings (FerretDB v1's updates are not atomic).
 *
 * Every user that matches a search is in the list of each trigram of the
 * needle (and of the discriminator), and each posting carries the name and
 * discriminator it was written for. A search reads the first postings of
 * each list (one small query each). If a list ended within them, it holds
 * every candidate: they are checked against the needle and nothing more is
 * read. Otherwise the lists are walked side by side in id order, each one
 * leapfrogging to the largest id another is at, so the cost follows the
 * sparsest list and the page's end, not the number of users. The page's
 * users are then read by _id and checked again: a rename or deletion racing
 * the search can only leave a stale posting, and that one
 * is dropped. Needles of 1 or 2 bytes have no trigram: with a discriminator
 * they walk its postings; without, users in id order, stopping at the page's
 * end (worst case: every user, when fewer than a page's worth match).
 */
#ifndef WARDEN_STORE_USER_SEARCH_H
#define WARDEN_STORE_USER_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "warden/store.h"
#include "warden/store/users.h"

/** The most postings one user has (a 63-byte name's trigrams and its discriminator). */
#define STORE_USER_POSTINGS_MAX 64

/**
 * Build the posting documents of a user into docs (at most max; destroy
 * each with bson_destroy); returns how many. For bulk loaders.
 */
size_t store_user_search_postings(int64_t id, const char *username, const char *discriminator,
                                  bson_t **docs, size_t max);
/** Write the postings of a user under username and discriminator (present ones are kept). */
enum store_status store_user_search_index(struct db *db, int64_t id, const char *username,
                                          const char *discriminator, bson_error_t *e);
/** Delete the postings that username and discriminator gave the user. */
enum store_status store_user_search_unindex(struct db *db, int64_t id, const char *username,
                                            const char *discriminator, bson_error_t *e);
/**
 * Users matching q (username: literal, case-sensitive substring;
 * discriminator: exact), ordered by id, q->skip matches skipped, at most
 * q->limit. *out is malloc'ed (free it), *n its length.
 */
enum store_status store_user_search(struct db *db, const struct user_query *q, struct user **out,
                                    size_t *n, bson_error_t *e);

#endif
