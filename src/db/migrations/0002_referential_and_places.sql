-- 0002: the national referential of mediation services (versioned), the places of digital
-- mediation (imported from the national standard or entered by providers) and the reports of
-- place imports. Providers' applications and catalogues come in a later migration.

create table referential_versions (
  version integer primary key check (version > 0),
  title text not null,
  published_on date not null,
  published_at timestamptz not null,
  published_by uuid references users (id),
  notes text
);

create table referential_services (
  version integer not null references referential_versions (version),
  code text not null check (code ~ '^[A-Z][0-9]{2}$'),
  level smallint not null check (level between 1 and 3),
  label text not null check (length(btrim(label)) > 0),
  description text not null,
  -- Labels of the 9 services of the national standard v1 this service maps onto.
  standard_services text[] not null check (cardinality(standard_services) > 0),
  help_kind text not null check (help_kind in ('detection_referral', 'assistance', 'facilitation', 'training')),
  -- "Faire à la place": volunteers and civic-service staff may not deliver these.
  doing_for_person boolean not null,
  position integer not null,
  primary key (version, code)
);

-- A published version is frozen: catalogue entries point at the version they were made with.
create trigger referential_services_frozen
  before update or delete on referential_services
  for each row execute function refuse_change_to_append_only();
create trigger referential_versions_frozen
  before update or delete on referential_versions
  for each row execute function refuse_change_to_append_only();

create table places (
  id uuid primary key default gen_random_uuid(),
  -- The provider that runs the place; null for a place imported and not yet claimed.
  provider_id uuid references organisations (id),
  -- Where the place comes from: 'passnum' when entered here, else the `source` of the imported file.
  source text not null,
  source_id text not null,
  pivot text check (pivot ~ '^[a-zA-Z0-9]{9,14}$'),
  name text not null check (length(btrim(name)) between 1 and 300),
  address text not null,
  address_complement text,
  postcode text not null check (postcode ~ '^\d{5}$'),
  commune text not null,
  insee_code text check (insee_code ~ '^([013-9]\d|2[AB1-9])\d{3}$'),
  latitude double precision not null check (latitude between -90 and 90),
  longitude double precision not null check (longitude between -180 and 180),
  typologies text[] not null default '{}',
  phones text[] not null default '{}',
  emails text[] not null default '{}',
  websites text[] not null default '{}',
  opening_hours text,
  summary text,
  details text,
  itinerant boolean not null default false,
  parent_structure text,
  source_updated_on date,
  standard_services text[] not null default '{}',
  publics text[] not null default '{}',
  specific_support text[] not null default '{}',
  fees text[] not null default '{}',
  national_programmes text[] not null default '{}',
  trainings_labels text[] not null default '{}',
  other_labels text,
  access_modes text[] not null default '{}',
  support_modes text[] not null default '{}',
  accessibility_url text,
  booking_url text,
  -- Declared by the source (v0.1 "Accepte le Pass numérique"); acceptance on passnum itself comes
  -- from the provider's qualification and catalogue.
  source_accepts_pass boolean not null default false,
  -- draft: not public; published: shown on /lieux and in open data (its provider is qualified).
  status text not null default 'draft' check (status in ('draft', 'published', 'withdrawn')),
  -- SHA-256 of the imported record as read: an import that finds the same hash changes nothing.
  import_hash text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (source, source_id),
  -- The national standard requires the structure's SIRET, RNA or RIDET of every published place.
  check (status <> 'published' or pivot is not null)
);
create index places_provider_idx on places (provider_id);
create index places_postcode_idx on places (postcode);
create index places_insee_idx on places (insee_code);
create index places_status_idx on places (status, id);

create table place_imports (
  id uuid primary key default gen_random_uuid(),
  file_name text not null,
  file_sha256 text not null,
  started_at timestamptz not null,
  imported integer not null check (imported >= 0),
  updated integer not null check (updated >= 0),
  unchanged integer not null check (unchanged >= 0),
  rejected integer not null check (rejected >= 0),
  -- Each rejected row and each corrected field, with its reason (French, for people).
  report jsonb not null
);
