/*
 * dispatch: one request from the transport to its handler.
 *
 * dispatch_request is the whole of "serve a request" minus the transport: it
 * turns request problems (bad URI, oversized body) into errors, routes,
 * enforces the route's contract (router.h: database, caller, precheck, body),
 * calls the handler, makes sure every request gets a JSON answer, and counts
 * the answer against its route in the scoreboard.
 */
#ifndef WARDEN_DISPATCH_H
#define WARDEN_DISPATCH_H

#include "warden/config.h"
#include "warden/request.h"
#include "warden/response.h"

struct app;

/** Serve one request into res. Never leaves res without a status. */
void dispatch_request(struct app *app, struct request *req, struct response *res);

/**
 * For routes that touch data: check that the schema is in place (its
 * marker, read until seen once per process; workers never create it, the
 * master does at start). Returns true, or false after answering in res:
 * 503 "Database schema not in place yet" while the marker is missing, else
 * as error_send_db (503 when the database is unreachable).
 */
bool dispatch_db_ready(struct app *app, struct request *req, struct response *res);

#endif
