-- Users and their sessions (internal/auth).
-- Emails are stored lower-cased (the CHECK makes sure), so the plain unique
-- index is the case-insensitive one. Usernames keep their case and are unique
-- without regard to it. Sessions store only the SHA-256 of their token.

CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    username       text        NOT NULL CHECK (username ~ '^[A-Za-z0-9_-]{3,50}$'),
    email          text        NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash  text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role           text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'moderator', 'admin')),
    is_active      boolean     NOT NULL DEFAULT true,
    email_verified boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz,
    -- Set by a soft delete, cleared when the account is activated again.
    deleted_at     timestamptz
);

CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email);
-- Listing: newest first, then id.
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id);
-- The last-active-admin check locks exactly these rows.
CREATE INDEX users_active_admins_idx ON users (id) WHERE role = 'admin' AND is_active;

CREATE TABLE sessions (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash       bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    user_agent       text,
    client_ip        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at     timestamptz
);

-- Every authenticated request looks a session up by its token hash.
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
-- Logout-all, password changes, deactivation: all sessions of one user.
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
-- The periodic clean-up of expired sessions.
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
