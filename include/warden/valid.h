/*
 * valid: the format rules of names, emails and passwords, as the APIs
 * state them (README, "APIs"). Plain functions of (text, length) so they
 * plug into field rules (fields.h) and wardenctl alike.
 */
#ifndef WARDEN_VALID_H
#define WARDEN_VALID_H

#include <stdbool.h>
#include <stddef.h>

/* Chat: ^[a-zA-Z0-9_ ]{2,30}$ */
#define CHAT_USERNAME_MIN 2
#define CHAT_USERNAME_MAX 30
bool valid_chat_username(const char *s, size_t len);

/* ^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$, shorter than 256 characters. */
#define EMAIL_MAX 255
bool valid_email(const char *s, size_t len);

/* Chat passwords: 5..1024 (admin-created), 8..1024 (self-registered). */
#define CHAT_PASSWORD_MIN 5
#define CHAT_PASSWORD_MIN_REGISTER 8
#define CHAT_PASSWORD_MAX 1024

/* Game account and character names: ^[a-zA-Z0-9]{2,20}$ */
#define GAME_NAME_MIN 2
#define GAME_NAME_MAX 20
bool valid_game_name(const char *s, size_t len);

#endif
