-- History: every timed state change. Times are Unix nanoseconds (UTC).
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ns   INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    agent   TEXT NOT NULL DEFAULT '',
    call_id TEXT NOT NULL DEFAULT '',
    queue   TEXT NOT NULL DEFAULT '',
    state   TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL DEFAULT '',
    actor   TEXT NOT NULL DEFAULT '',
    caller  TEXT NOT NULL DEFAULT '',
    did     TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_at ON events (at_ns);
CREATE INDEX events_agent ON events (agent, seq);
CREATE INDEX events_call ON events (call_id, seq);

-- Configuration. "position" keeps each list in the order it was given.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    position      INTEGER NOT NULL,
    display       TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    sip_password  TEXT NOT NULL,
    listen_in     INTEGER NOT NULL CHECK (listen_in IN (0, 1))
);
CREATE TABLE user_roles (
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (user_name, role)
);
CREATE TABLE teams (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE team_members (
    team      TEXT NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    position  INTEGER NOT NULL,
    PRIMARY KEY (team, role, user_name)
);
CREATE INDEX team_members_user ON team_members (user_name);
CREATE TABLE queues (
    name            TEXT PRIMARY KEY,
    position        INTEGER NOT NULL,
    strategy        TEXT NOT NULL,
    ring_timeout_ns INTEGER NOT NULL,
    wrap_up_ns      INTEGER NOT NULL,
    max_wait_ns     INTEGER NOT NULL,
    on_max_wait     TEXT NOT NULL,
    overflow_to     TEXT NOT NULL,
    message         TEXT NOT NULL,
    music           TEXT NOT NULL,
    record          INTEGER NOT NULL CHECK (record IN (0, 1))
);
CREATE TABLE queue_agents (
    queue     TEXT NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (queue, user_name)
);
CREATE INDEX queue_agents_user ON queue_agents (user_name);
CREATE TABLE queue_teams (
    queue    TEXT NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    team     TEXT NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (queue, team)
);
CREATE INDEX queue_teams_team ON queue_teams (team);
CREATE TABLE dids (
    number   TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    queue    TEXT NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    priority INTEGER NOT NULL
);
CREATE INDEX dids_queue ON dids (queue);
CREATE TABLE trunks (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    outbound TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL
);
CREATE TABLE trunk_sources (
    trunk    TEXT NOT NULL REFERENCES trunks (name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    source   TEXT NOT NULL,
    PRIMARY KEY (trunk, position)
);
CREATE TABLE dial_plan (
    rule     TEXT NOT NULL CHECK (rule IN ('allow', 'deny')),
    position INTEGER NOT NULL,
    pattern  TEXT NOT NULL,
    PRIMARY KEY (rule, position)
);
-- The rest of the configuration, and anything else small, by key.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Web sessions. id is the hex SHA-256 of the cookie's token.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    created_ns INTEGER NOT NULL,
    expires_ns INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_ns);
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE preferences (
    user_name TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (user_name, key)
);
