-- Weir's metadata store, version 1: pipeline runs and the tries of their steps.
-- Portable SQL (SQLite and PostgreSQL): times are ISO-8601 UTC text ('2024-01-31T06:00:00Z'), which sorts in time order;
-- params are a JSON object as text.

create table pipeline_run (
  id             integer primary key,        -- SQLite: the rowid; PostgreSQL: bigint generated always as identity
  pipeline       varchar(200) not null,
  interval_start varchar(40),                 -- the data interval [start, end); null for unscheduled pipelines
  interval_end   varchar(40),
  logical_date   varchar(40) not null,
  params         text not null,
  state          varchar(20) not null,        -- queued, running, success, failed
  run_trigger    varchar(200) not null,       -- manual, scheduled, backfill, pipeline:<parent run id>
  run_key        varchar(300),                -- one scheduled or backfill run per interval: '<pipeline>@<interval start>'
  parent_run_id  integer,
  queued_at      varchar(40) not null,
  started_at     varchar(40),
  ended_at       varchar(40)
);
create unique index pipeline_run_key on pipeline_run (run_key);
create index pipeline_run_by_pipeline on pipeline_run (pipeline, id);

create table step_run (
  run_id       integer not null references pipeline_run (id),
  step         varchar(200) not null,
  position     integer not null,              -- the step's place in the pipeline file (for listing)
  try_number   integer not null,              -- 1, 2, ...
  state        varchar(20) not null,          -- queued, running, success, failed, upstream_failed, skipped, up_for_retry
  started_at   varchar(40),
  ended_at     varchar(40),
  exit_code    integer,
  error        text,
  log_path     varchar(1000),
  primary key (run_id, step, try_number)
);
