/*
 * app: what a worker hands to every handler, and the dispatch of one request.
 *
 * app_handle is the whole of "serve a request" minus the transport: it turns
 * request problems (bad URI, oversized body) into errors, routes, calls the
 * handler, and makes sure every request gets a JSON answer.
 */
#ifndef WARDEN_APP_H
#define WARDEN_APP_H

#include "warden/config.h"
#include "warden/request.h"
#include "warden/response.h"

struct db;
struct scoreboard;
struct scoreboard_slot;
struct listener;

struct app {
    const struct config *cfg;
    struct db *db;                  /* this process's own client */
    struct scoreboard *scoreboard;  /* shared with the master */
    struct scoreboard_slot *slot;   /* this worker's slot */
    int slot_index;
    const struct listener *listener;
};

/** Serve one request into res. Never leaves res without a status. */
void app_handle(struct app *app, struct request *req, struct response *res);

/**
 * For handlers that touch data: make sure the indexes exist (once per
 * process). Returns true, or false after answering 503/500 in res.
 */
bool app_db_ready(struct app *app, struct request *req, struct response *res);

#endif
