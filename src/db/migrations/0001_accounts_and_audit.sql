-- 0001: organisations, people and their memberships, sessions, invitations, password resets,
-- API tokens, and the append-only audit journal. Everything the later domains hang off.
-- Must run on PostgreSQL 15 (PGlite embeds a newer server): no syntax newer than 15.

create table organisations (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind in ('operator', 'funder', 'distributor', 'provider')),
  name text not null check (length(btrim(name)) between 1 and 200),
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (email = lower(email) and position('@' in email) > 1),
  display_name text not null check (length(btrim(display_name)) between 1 and 200),
  -- argon2id PHC string; null until the person chooses a password (accepting an invitation).
  password_hash text,
  created_at timestamptz not null default now()
);
create unique index users_email_key on users (email);

create table memberships (
  user_id uuid not null references users (id),
  organisation_id uuid not null references organisations (id),
  role text not null check (role in ('admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (user_id, organisation_id)
);
create index memberships_organisation_idx on memberships (organisation_id);

-- The cookie holds a random token; only its SHA-256 is stored, so a database dump opens no session.
create table sessions (
  id uuid primary key default gen_random_uuid(),
  token_hash bytea not null unique,
  user_id uuid not null references users (id),
  -- The organisation the person currently acts for (one of their memberships).
  organisation_id uuid references organisations (id),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user_idx on sessions (user_id);

create table invitations (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  email text not null check (email = lower(email)),
  role text not null check (role in ('admin', 'member')),
  token_hash bytea not null unique,
  invited_by uuid references users (id),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references users (id),
  check ((accepted_at is null) = (accepted_by is null))
);
create index invitations_organisation_idx on invitations (organisation_id);

create table password_resets (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id),
  token_hash bytea not null unique,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz
);
create index password_resets_user_idx on password_resets (user_id);

-- Failed sign-ins per account, to slow down guessing from many origins at once (the per-origin
-- limit lives in memory). Cleared by a successful sign-in; old rows are deleted as they expire.
create table sign_in_failures (
  email text not null,
  failed_at timestamptz not null
);
create index sign_in_failures_email_idx on sign_in_failures (email, failed_at);

-- Machine clients. Shown once as `pn_<prefix>_<secret>`; the prefix finds the row, the secret's
-- SHA-256 is compared in constant time.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references organisations (id),
  name text not null check (length(btrim(name)) between 1 and 100),
  prefix text not null unique,
  secret_hash bytea not null,
  scopes text[] not null check (cardinality(scopes) > 0),
  created_by uuid references users (id),
  created_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid references users (id)
);
create index api_tokens_organisation_idx on api_tokens (organisation_id);

-- Append-only: who did what, when, for which organisation, with the state before and after.
create table audit_events (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null,
  actor_user_id uuid references users (id),
  actor_organisation_id uuid references organisations (id),
  actor_api_token_id uuid references api_tokens (id),
  action text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
  subject_type text not null,
  subject_id text not null,
  before jsonb,
  after jsonb
);
create index audit_events_occurred_idx on audit_events (occurred_at desc, id desc);
create index audit_events_action_idx on audit_events (action, occurred_at desc);
create index audit_events_organisation_idx on audit_events (actor_organisation_id, occurred_at desc);

create function refuse_change_to_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'table % is append-only: % refused', tg_table_name, tg_op
    using errcode = 'restrict_violation';
end;
$$;

create trigger audit_events_no_update_delete
  before update or delete on audit_events
  for each row execute function refuse_change_to_append_only();
create trigger audit_events_no_truncate
  before truncate on audit_events
  for each statement execute function refuse_change_to_append_only();
