-- 0003: providers (the legal entities that run places) and their application to be qualified:
-- eligibility answers, charter acceptances, documents, mediators, messages with the operator; and
-- the catalogue of services of each place, pointing at the referential version it was made with.

create table providers (
  organisation_id uuid primary key references organisations (id),
  legal_form text not null check (legal_form in ('association', 'company', 'public_body', 'sole_trader')),
  siret text check (siret ~ '^\d{14}$'),
  rna text check (rna ~ '^W\d[0-9A-Z]\d{7}$'),
  address text not null,
  postcode text not null check (postcode ~ '^\d{5}$'),
  insee_code text not null check (insee_code ~ '^([013-9]\d|2[AB1-9])\d{3}$'),
  commune text not null,
  iban text check (iban ~ '^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$'),
  bic text check (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
  account_holder text,
  -- draft → submitted → changes_requested → submitted … → qualified | refused
  status text not null default 'draft' check (status in ('draft', 'submitted', 'changes_requested', 'qualified', 'refused')),
  submitted_at timestamptz,
  decided_at timestamptz,
  suspended_at timestamptz,
  suspension_reason text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  -- An association may have only an RNA number; everyone else has a SIRET.
  check (siret is not null or (legal_form = 'association' and rna is not null)),
  check ((suspended_at is null) = (suspension_reason is null)),
  check (suspended_at is null or status = 'qualified')
);
create index providers_status_idx on providers (status, submitted_at);

-- Every questionnaire sent is kept; the latest counts.
create table eligibility_answers (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  questionnaire_version integer not null,
  answers jsonb not null,
  outcome text not null check (outcome in ('eligible', 'not_yet')),
  scores jsonb not null,
  answered_by uuid not null references users (id),
  answered_at timestamptz not null
);
create index eligibility_answers_provider_idx on eligibility_answers (provider_id, answered_at desc);

create table charter_acceptances (
  provider_id uuid not null references providers (organisation_id),
  charter_version integer not null,
  accepted_by uuid not null references users (id),
  accepted_at timestamptz not null,
  primary key (provider_id, charter_version)
);

create table provider_documents (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  kind text not null,
  file_name text not null,
  media_type text not null check (media_type in ('application/pdf', 'image/jpeg', 'image/png')),
  size_bytes integer not null check (size_bytes between 1 and 10485760),
  sha256 text not null,
  content bytea not null,
  uploaded_by uuid not null references users (id),
  uploaded_at timestamptz not null
);
create index provider_documents_provider_idx on provider_documents (provider_id, kind);

create table mediators (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  name text not null check (length(btrim(name)) between 1 and 200),
  status text not null check (status in ('employee', 'volunteer', 'civic_service')),
  trained boolean not null default false,
  training text,
  active boolean not null default true,
  created_at timestamptz not null
);
create index mediators_provider_idx on mediators (provider_id);

create table application_messages (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  author_id uuid not null references users (id),
  from_operator boolean not null,
  body text not null check (length(btrim(body)) between 1 and 5000),
  created_at timestamptz not null
);
create index application_messages_provider_idx on application_messages (provider_id, created_at);

create table catalogue_entries (
  id uuid primary key default gen_random_uuid(),
  place_id uuid not null references places (id),
  referential_version integer not null,
  service_code text not null,
  -- Signed integer cents; the holder's share is what exceeds the vouchers' value.
  price_cents integer not null check (price_cents >= 0 and price_cents <= 100000),
  duration_minutes integer not null check (duration_minutes between 5 and 600),
  format text not null check (format in ('individual', 'group')),
  delivery_modes text[] not null check (cardinality(delivery_modes) > 0 and delivery_modes <@ array['on_site', 'remote', 'home']),
  -- A parcours of 5 or 10 sessions, or a single session.
  parcours_sessions integer check (parcours_sessions in (5, 10)),
  active boolean not null default true,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  foreign key (referential_version, service_code) references referential_services (version, code),
  unique (place_id, service_code)
);
create index catalogue_entries_service_idx on catalogue_entries (service_code) where active;

-- Public search of places (/lieux): published places by INSEE code (equality, or a département's
-- prefix with LIKE, hence text_pattern_ops) and by postcode; the active entries of a place.
create index places_published_insee_idx on places (insee_code text_pattern_ops) where status = 'published';
create index places_published_postcode_idx on places (postcode) where status = 'published';
create index places_published_name_idx on places (name, id) where status = 'published';
create index catalogue_entries_place_active_idx on catalogue_entries (place_id) where active;

-- Whether a place has at least one active service, kept by the database itself whoever writes the
-- catalogue: the public search filters on it without an EXISTS over the catalogue for every place.
alter table places add column has_active_service boolean not null default false;

create function refresh_place_active_service() returns trigger
language plpgsql as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    update places set has_active_service = exists (
      select 1 from catalogue_entries c where c.place_id = old.place_id and c.active
    ) where id = old.place_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    update places set has_active_service = exists (
      select 1 from catalogue_entries c where c.place_id = new.place_id and c.active
    ) where id = new.place_id;
  end if;
  return null;
end;
$$;

create trigger catalogue_entries_active_service
  after insert or update or delete on catalogue_entries
  for each row execute function refresh_place_active_service();

create index places_searchable_name_idx on places (name, id) where status = 'published' and has_active_service;
